"""The load test's baseline: a bare FastAPI app with the two routes the load test calls,
served by uvicorn exactly as ``philomath serve`` is (same worker model, same loopback).

    uvicorn --factory bench.bare_app:create_app --workers 2 --port 8100

Each route reads what the real one reads (the JSON body; the bearer header) and answers a
small JSON document, so the gap to the real routes is Philomath's own work.
"""

from __future__ import annotations

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
