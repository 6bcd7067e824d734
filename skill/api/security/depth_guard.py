"""ASGI middleware that refuses over-nested and oversized bodies before any route parses them.

FastAPI parses a route's JSON body itself, and ``POST /alexa`` parses its own; both recurse
once per nesting level. This middleware reads each request body first (routes read it whole
anyway), answers a body over ``MAX_BODY_BYTES`` with a 413 problem as soon as it has read that
much (a client cannot make the process buffer gigabytes), a body nested deeper than the limit
with a 400 problem, and hands every other body on unchanged.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skill.api.problems import problem
from skill.json_depth import MAX_JSON_DEPTH, JsonTooDeep, check_raw_depth

_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
# Far above any real request: an Alexa envelope is a few KB, 500 play events about 150 KB.
MAX_BODY_BYTES = 1_048_576


class JsonDepthGuard:
    def __init__(
        self, app: ASGIApp, limit: int = MAX_JSON_DEPTH, max_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.limit = limit
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                detail = f"the body is over {self.max_bytes} bytes"
                await problem(413, "Request body too large", detail)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            check_raw_depth(body, self.limit)
        except JsonTooDeep as exc:
            answer = problem(400, "Request body nested too deeply", str(exc))
            await answer(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the body read already, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        message: dict[str, Any] = {"type": "http.request", "body": body, "more_body": False}
        return message

    return replay
