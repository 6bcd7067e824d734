"""The ASGI app as a factory, for servers that start their own worker processes
(``philomath serve --processes N``; ``uvicorn --factory philomath.asgi:create_app``): each
worker builds the online path from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from philomath.logging_config import configure_logging
from philomath.settings import Settings
from philomath.wiring import build_online


def create_app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return build_online(settings).app
