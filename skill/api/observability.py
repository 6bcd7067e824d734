"""The HTTP side of telemetry: each request as the ``total`` stage (the root span) and a
``philomath_http_*`` observation by route template, and ``GET /metrics`` for Prometheus."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from telemetry import Telemetry

Exposition = Callable[[], tuple[bytes, str]]  # the text format and its content type
CallNext = Callable[[Request], Awaitable[Response]]
Observer = Callable[[Request, CallNext], Awaitable[Response]]

# Paths no route matched share one label: a scanner cannot grow the series without bound.
UNMATCHED = "unmatched"


def request_observer(telemetry: Telemetry) -> Observer:
    """Runs the rest of the app for a request inside its ``total`` stage and counts it."""

    async def observe(request: Request, call_next: CallNext) -> Response:
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises
        try:
            with telemetry.stage("total", {"http.method": request.method}):
                response = await call_next(request)
            status = response.status_code
            return response
        finally:
            telemetry.metrics.http_request(
                route_of(request), request.method, status, time.perf_counter() - started
            )

    return observe


def route_of(request: Request) -> str:
    """The matched route's template (``/v1/users/{user_id}/recommendations``), never the raw
    path, which holds ids."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def metrics_router(exposition: Exposition) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus text format (every worker's values in multiprocess mode)."""
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    return router
