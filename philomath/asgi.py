"""The ASGI app as a factory, for servers that start their own worker processes
(``philomath serve --processes N``; ``uvicorn --factory philomath.asgi:create_app``): each
worker builds the online path from the environment."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from philomath.logging_config import configure_logging
from philomath.settings import Settings
from philomath.wiring import build_online


def create_app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    app = build_online(settings).app
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Take what start-up built (parser models, gazetteer, lookup tables: millions of objects
    that live as long as the process) out of the garbage collector's sight. Every full
    collection would walk them all again, for tens to hundreds of milliseconds with the GIL
    held, and each request in flight waits: that was serve's p99 (BENCHMARKS.md)."""
    gc.collect()
    gc.freeze()
