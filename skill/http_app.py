"""The HTTP front door: the Alexa webservice endpoint, health, and recommendations for apps.

Errors reach clients as RFC 9457 ``application/problem+json`` bodies without internals:
400 for bodies that are not Alexa envelopes, 422 for bad query parameters, 503 when a backend
is down or something unexpected failed (the traceback goes to the log only).

Alexa request verification (signature, certificate chain, timestamp) is NOT done here yet:
``verifier`` is the seam for it. With ``verifier=None`` every request is accepted, which is
only fit for local development and tests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from ask_sdk_core.skill import CustomSkill
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from nlu.moods import MOODS, canonical_mood
from nlu.rules import RuleParser
from playback.errors import PlaybackError
from recommender.router import RecommendationRequest
from skill.alexa import InvalidEnvelope, VerificationFailed, handle_envelope
from skill.player import MusicPlayer, Recommendations
from skill.request_context import bound_request_id

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
REQUEST_ID_HEADER = "X-Request-Id"
MAX_ALEXA_BODY_BYTES = 256 * 1024  # Alexa envelopes are a few KiB

# Raises VerificationFailed when the request did not come from Alexa (headers, raw body).
Verifier = Callable[[Mapping[str, str], bytes], None]
HealthCheck = Callable[[], None]


def problem(status: int, title: str, detail: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def create_app(
    player: MusicPlayer,
    parser: RuleParser,
    skill: CustomSkill,
    *,
    health_checks: Mapping[str, HealthCheck] | None = None,
    verifier: Verifier | None = None,
) -> FastAPI:
    """The app. ``health_checks`` maps a name to a callable that raises when its backend
    is unhealthy; ``verifier`` checks Alexa's request signature (see the module docstring)."""
    app = FastAPI(title="Philomath", version="0.1.0")
    checks = dict(health_checks or {})
    _install_error_handlers(app)

    @app.middleware("http")
    async def tag_request(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # A caller's id is kept (bounded) so logs join up across services; else a fresh one.
        incoming = request.headers.get(REQUEST_ID_HEADER, "")[:64] or None
        with bound_request_id(incoming) as bound:
            response = await call_next(request)
        response.headers[REQUEST_ID_HEADER] = bound
        return response

    @app.post("/alexa")
    async def alexa(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_ALEXA_BODY_BYTES:
            return problem(413, "Request body too large")
        try:
            if verifier is not None:
                verifier(request.headers, body)
        except VerificationFailed as exc:
            logger.warning("alexa request failed verification: %s", exc)
            return problem(400, "Request verification failed")
        try:
            envelope = json.loads(body)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError
            return problem(400, "Malformed JSON", "the body must be an Alexa request envelope")
        try:
            answer = await run_in_threadpool(handle_envelope, skill, envelope)
        except InvalidEnvelope as exc:
            return problem(400, "Invalid Alexa request envelope", str(exc)[:200])
        return JSONResponse(answer)

    @app.get("/health")
    def health() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # a health probe reports every failure, it never raises
                logger.warning("health check %s failed: %s", name, exc)
                results[name] = f"failed: {type(exc).__name__}"
        healthy = all(result == "ok" for result in results.values())
        return JSONResponse(
            {"status": "ok" if healthy else "unavailable", "checks": results},
            status_code=200 if healthy else 503,
        )

    @app.get("/v1/users/{user_id}/recommendations")
    def recommendations(
        user_id: Annotated[str, PathParam(min_length=1, max_length=256)],
        n: Annotated[int, Query(ge=1, le=100)] = 10,
        mood: Annotated[str | None, Query(max_length=64)] = None,
        genre: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Response:
        canonical = canonical_mood(mood) if mood else None
        if mood and canonical is None:
            return problem(422, "Unknown mood", f"known moods: {', '.join(MOODS)}")
        catalog_genre = parser.canonical_genre(genre) if genre else None
        if genre and catalog_genre is None:
            return problem(422, "Unknown genre", f"no genre {genre!r} in the catalog")
        request = RecommendationRequest(user_id=user_id, mood=canonical, genre=catalog_genre, n=n)
        try:
            answer = player.recommend(request)
        except PlaybackError:
            logger.error("catalog failed while listing recommendations", exc_info=True)
            return problem(503, "Catalog unavailable", "try again shortly")
        return JSONResponse(_recommendations_body(user_id, answer))

    return app


def _recommendations_body(user_id: str, answer: Recommendations) -> dict[str, Any]:
    rec = answer.recommendation
    return {
        "user_id": user_id,
        "path": rec.path,
        "reason": rec.reason,
        "model_version": rec.model_version,
        "degraded": rec.degraded,
        "items": [
            {
                "track_id": item.track.track_id,
                "title": item.track.title,
                "artist": item.track.artist_name,
                "genre": item.track.genre,
                "moods": list(item.track.moods),
                "stream_url": item.stream_url,
            }
            for item in answer.items
        ],
    }


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = ", ".join(".".join(str(p) for p in e.get("loc", ())) for e in exc.errors())
        return problem(422, "Invalid request parameters", fields or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))

    @app.middleware("http")
    async def last_resort(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Anything unexpected: the traceback to the log, a generic 503 to the client.
        try:
            return await call_next(request)
        except Exception:
            logger.error(
                "unhandled error on %s %s", request.method, request.url.path, exc_info=True
            )
            return problem(503, "Service unavailable", "an unexpected error occurred")
