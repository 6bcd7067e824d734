"""Liveness (the process answers) and readiness (its backends answer)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from skill.api.schemas import Liveness, Readiness

logger = logging.getLogger(__name__)

# Raises when its backend is unhealthy; what it returns is ignored.
HealthCheck = Callable[[], object]


def health_router(checks: Mapping[str, HealthCheck]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=Liveness)
    def health() -> Liveness:
        """The process is up (no backend is asked)."""
        return Liveness(status="ok")

    @router.get(
        "/ready",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "A backend is unavailable"}},
    )
    def ready() -> JSONResponse:
        """Every backend answers; 503 (with which one failed) when one does not."""
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # a probe reports every failure, it never raises
                logger.warning("readiness check %s failed: %s", name, exc)
                results[name] = f"failed: {type(exc).__name__}"
        healthy = all(result == "ok" for result in results.values())
        body = Readiness(status="ok" if healthy else "unavailable", checks=results)
        return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)

    return router
