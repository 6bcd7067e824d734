"""The HTTP side of telemetry: each request as the ``total`` stage (the root span) and a
``philomath_http_*`` observation by route template, and ``GET /metrics`` for Prometheus."""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skill.request_context import bound_request_id
from telemetry import Telemetry

Exposition = Callable[[], tuple[bytes, str]]  # the text format and its content type

REQUEST_ID_HEADER = "X-Request-Id"
# Paths no route matched share one label: a scanner cannot grow the series without bound.
UNMATCHED = "unmatched"


class RequestObserver:
    """ASGI middleware, outermost: binds the request id (the caller's ``X-Request-Id``,
    bounded, so logs join up across services; else a fresh one) for every log line, sends it
    back in the answer's headers, and observes the request as the ``total`` stage and a
    ``philomath_http_*`` observation by route template.

    Plain ASGI rather than ``@app.middleware("http")``: that wrapper runs every request
    through an extra task and memory streams, which cost more than a whole bare request."""

    def __init__(self, app: ASGIApp, telemetry: Telemetry) -> None:
        self.app = app
        self.telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")[:64] or None
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises
        with bound_request_id(incoming) as bound:

            async def tagged(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    MutableHeaders(scope=message).append(REQUEST_ID_HEADER, bound)
                await send(message)

            try:
                with self.telemetry.stage("total", {"http.method": scope["method"]}):
                    await self.app(scope, receive, tagged)
            finally:
                self.telemetry.metrics.http_request(
                    route_of(scope), scope["method"], status, time.perf_counter() - started
                )


def route_of(scope: MutableMapping[str, Any]) -> str:
    """The matched route's template (``/v1/users/{user_id}/recommendations``), never the raw
    path, which holds ids."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


def metrics_router(exposition: Exposition) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus text format (every worker's values in multiprocess mode)."""
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    return router
