"""The HTTP front door: the Alexa webservice endpoint, the REST API for app clients, health,
readiness and (for the embedded demo) media.

``POST /alexa`` takes the raw body so ``verifier`` can check Alexa's signature over exactly
those bytes (``skill.alexa.verification``). With ``verifier=None`` every request is accepted:
only a local development server runs like that, and the composition root says so loudly.
Errors reach clients as ``application/problem+json`` (``skill.api.problems``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping

from ask_sdk_core.skill import CustomSkill
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from listening import Listening
from listening.erasure import Erasure
from nlu.request_parser import RequestParser
from playback.url_signing import UrlSigner
from skill.alexa import InvalidEnvelope, VerificationFailed, handle_envelope
from skill.api.account import account_router
from skill.api.devices import devices_router
from skill.api.events import events_router
from skill.api.health import HealthCheck, health_router
from skill.api.media import media_router
from skill.api.observability import Exposition, RequestObserver, metrics_router
from skill.api.play import play_router
from skill.api.problems import PROBLEM_JSON, install_problem_handlers, problem
from skill.api.recommendations import recommendations_router
from skill.api.routines import routines_router
from skill.api.security.auth import ApiAuth, Authenticator, TokenAuthenticator
from skill.api.security.depth_guard import JsonDepthGuard
from skill.api.security.rate_limit import RateLimiter
from telemetry import Telemetry

logger = logging.getLogger(__name__)

__all__ = ["PROBLEM_JSON", "create_app", "problem"]

MAX_ALEXA_BODY_BYTES = 256 * 1024  # Alexa envelopes are a few KiB

# Raises VerificationFailed when the request did not come from Alexa (headers, raw body).
Verifier = Callable[[Mapping[str, str], bytes], None]


def create_app(
    listening: Listening,
    parser: RequestParser,
    skill: CustomSkill,
    *,
    authenticator: Authenticator | None = None,
    rate_limiter: RateLimiter | None = None,
    media_signer: UrlSigner | None = None,
    health_checks: Mapping[str, HealthCheck] | None = None,
    verifier: Verifier | None = None,
    telemetry: Telemetry | None = None,
    metrics_exposition: Exposition | None = None,
    erasure: Erasure | None = None,
) -> FastAPI:
    """The app, on the ``listening`` use cases (the skill's too). ``authenticator`` knows
    the API's bearer tokens (None: it refuses every one), ``rate_limiter`` bounds each
    listener's requests (None: unbounded); ``media_signer`` serves ``/media``
    (None: no local media); ``health_checks`` maps a name to a callable that raises when its
    backend is unhealthy (``/ready``). ``telemetry`` times each request (the ``total``
    stage) and ``metrics_exposition`` serves ``GET /metrics`` (None: no such route);
    ``erasure`` serves ``DELETE /v1/users/me`` (None: no such route)."""
    app = FastAPI(
        title="Philomath",
        version="1.0.0",
        description="Music recommendations for voice assistants and their apps.",
    )
    auth = ApiAuth(authenticator or TokenAuthenticator({}), rate_limiter)
    install_problem_handlers(app)
    # Inside RequestObserver (added below, so outside this), before any route parses a body.
    app.add_middleware(JsonDepthGuard)
    app.add_middleware(RequestObserver, telemetry=telemetry or Telemetry())

    @app.post("/alexa", include_in_schema=False)
    async def alexa(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_ALEXA_BODY_BYTES:
            return problem(413, "Request body too large")
        try:
            if verifier is not None:
                await run_in_threadpool(verifier, request.headers, body)
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

    app.include_router(health_router(dict(health_checks or {})))
    app.include_router(recommendations_router(listening.player, parser, auth))
    app.include_router(play_router(listening, parser, auth))
    app.include_router(devices_router(listening, auth))
    app.include_router(events_router(listening, auth))
    if erasure is not None:
        app.include_router(account_router(erasure, auth))
    app.include_router(routines_router(listening, parser, auth))
    if media_signer is not None:
        app.include_router(media_router(media_signer))
    if metrics_exposition is not None:
        app.include_router(metrics_router(metrics_exposition))
    return app
