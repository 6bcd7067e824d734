"""The one error model of the HTTP app: RFC 9457 ``application/problem+json``.

Every error a client sees, from any route, is a ``Problem`` body without internals: 400 for
Alexa bodies that are not envelopes or fail verification, 401 without a valid bearer token,
403 for another listener's data or a token without the route's scope, 404, 413, 422 for
invalid parameters or bodies, 429 (with ``Retry-After``) over a client's rate, 503 when a
backend is down or something unexpected failed (the traceback goes to the log only). Bodies
nested too deeply get a 400 before any route parses them.

Most problems are ``about:blank`` (the status says it all). One has a ``type`` of its own,
under ``PROBLEM_TYPES``, and extension members a client can act on: ``out-of-scope``
(``OutOfScopeProblem``), a 422 for text understood as something a music service does not
do, a podcast, an audiobook, the volume, a playlist edit, with its ``reason``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nlu.parsed import OutOfScopeReason

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPES = "https://philomath.example/problems/"
OUT_OF_SCOPE = f"{PROBLEM_TYPES}out-of-scope"


class Problem(BaseModel):
    """An error (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None


class OutOfScopeProblem(Problem):
    """422: the text asks for something other than music; nothing was played or queued."""

    type: str = Field(default=OUT_OF_SCOPE, description=f"Always `{OUT_OF_SCOPE}`.")
    reason: OutOfScopeReason = Field(
        description="What the text asks for: podcast, audiobook, volume (the device's own "
        "control), playlist_edit or other."
    )


class ApiProblem(Exception):
    """Raised by routes and dependencies; answered as a Problem with ``headers``."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        type: str = "about:blank",
        extensions: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.type = type
        self.extensions = dict(extensions or {})


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    type: str = "about:blank",
    extensions: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json answer; ``extensions`` are members beside the standard ones."""
    body = Problem(type=type, title=title, status=status, detail=detail or None)
    return JSONResponse(
        {**(extensions or {}), **body.model_dump(exclude_none=True)},
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=dict(headers or {}),
    )


def problem_responses(
    *statuses: int, typed: Mapping[int, tuple[str, type[Problem]]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route may answer with; ``typed`` adds, for a
    status, a problem type of its own (what to add to the description, and its model)."""
    described = {
        400: "The body is not JSON, or nests too deeply",
        401: "Missing, invalid or expired bearer token",
        403: "Another listener's data, or the token lacks the route's scope",
        404: "Not found", 413: "Body too large", 422: "Invalid parameters or body",
        429: "Too many requests: retry after Retry-After seconds",
        503: "A backend is unavailable",
    }  # fmt: skip
    retry_after = {
        "Retry-After": {
            "description": "Seconds to wait before retrying",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
    typed = typed or {}
    entries: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        description, models = described[status], [Problem]
        if status in typed:
            description = f"{description}; {typed[status][0]}"
            models.append(typed[status][1])
        refs = [{"$ref": f"#/components/schemas/{m.__name__}"} for m in models]
        entries[status] = {
            "description": description,
            "model": models[0] if len(models) == 1 else models[0] | models[1],
            "content": {PROBLEM_JSON: {"schema": refs[0] if len(refs) == 1 else {"anyOf": refs}}},
            **({"headers": retry_after} if status == 429 else {}),
        }
    return entries


def problem_of(exc: ApiProblem) -> JSONResponse:
    """The answer to a raised ``ApiProblem``."""
    return problem(
        exc.status, exc.title, exc.detail, exc.headers, type=exc.type, extensions=exc.extensions
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_of(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        return problem(422, "Invalid request parameters", fields[:500] or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), headers=exc.headers)

    app.add_middleware(LastResort)


class LastResort:
    """ASGI middleware: anything unexpected below it goes to the log with its traceback, and
    the client gets a generic 503 problem (unless the answer had already started)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            logger.error("unhandled error on %s %s", scope["method"], scope["path"], exc_info=True)
            if started:
                raise
            answer = problem(503, "Service unavailable", "an unexpected error occurred")
            await answer(scope, receive, send)
