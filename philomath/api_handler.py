"""AWS Lambda entry of the REST API behind API Gateway (HTTP API, payload 2.0):
``philomath.api_handler.handler``. The same FastAPI app as ``philomath serve``, run through
Mangum (the ASGI adapter); the online path is built on the first request and reused while
warm, without creating any table (``PHILOMATH_ENSURE_SCHEMA=false`` in the template)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from philomath.logging_config import configure_logging
from philomath.settings import Settings, settings_problems
from philomath.wiring import ConfigurationError, build_online

if TYPE_CHECKING:
    from fastapi import FastAPI

ApiHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def from_environment() -> FastAPI:
    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigurationError("; ".join(settings_problems(exc))) from None
    configure_logging(settings.log_level, settings.log_format)
    return build_online(settings).app


def create_handler(build: Callable[[], FastAPI]) -> ApiHandler:
    from mangum import Mangum
    from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

    built: list[Mangum] = []
    lock = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with lock:
            if not built:
                # Problem bodies are text too: not base64 in API Gateway's logs and tests.
                text = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]
                built.append(Mangum(build(), lifespan="off", text_mime_types=text))
        answer: dict[str, Any] = built[0](event, context)
        return answer

    return handler


handler = create_handler(from_environment)
