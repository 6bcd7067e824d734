"""The load test's baseline: a bare FastAPI app with the two routes the load test calls,
served by uvicorn exactly as ``philomath serve --processes N`` is (same worker model: a
listening socket per process, ``philomath.serving_processes``; same loopback).

    python -m bench.bare_app --processes 2 --port 8100

Each route reads what the real one reads (the JSON body; the bearer header) and answers a
small JSON document, so the gap to the real routes is Philomath's own work.
"""

from __future__ import annotations

import argparse
from typing import Any

from fastapi import FastAPI, Header, Request


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None)

    @app.post("/alexa")
    async def alexa(request: Request) -> dict[str, Any]:
        envelope = await request.json()
        return {
            "version": "1.0",
            "response": {"outputSpeech": {"type": "PlainText", "text": envelope["version"]}},
        }

    @app.get("/v1/users/me/recommendations")
    def recommendations(authorization: str = Header(default="")) -> dict[str, Any]:
        return {"user_id": authorization[-7:], "tracks": []}

    @app.get("/ready")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="The load test's bare baseline server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    quiet: dict[str, Any] = {"log_level": "warning", "access_log": False}
    if args.processes == 1:
        import uvicorn

        uvicorn.run(create_app(), host=args.host, port=args.port, **quiet)
        return
    from philomath.serving_processes import run_processes

    app = "bench.bare_app:create_app"
    run_processes(app, host=args.host, port=args.port, processes=args.processes, **quiet)


if __name__ == "__main__":
    main()
