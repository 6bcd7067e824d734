"""The HTTP front door: the Alexa webservice endpoint, the REST API for app clients, health,
readiness and (for the embedded demo) media.

``POST /alexa`` is plain ASGI ahead of FastAPI (``skill.api.alexa_endpoint``), and so are
ordinary recommendations pages (``skill.api.recommendations_endpoint``). The Alexa one takes the
raw body so ``verifier`` can check Alexa's signature over exactly those bytes
(``skill.alexa.verification``). With ``verifier=None`` every request is accepted: only a
local development server runs like that, and the composition root says so loudly.
Errors reach clients as ``application/problem+json`` (``skill.api.problems``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ask_sdk_core.skill import CustomSkill
from fastapi import FastAPI

from listening import Listening
from listening.erasure import Erasure
from nlu.request_parser import RequestParser
from playback.url_signing import UrlSigner
from skill.api.account import account_router
from skill.api.alexa_endpoint import AlexaEndpoint, Verifier
from skill.api.devices import devices_router
from skill.api.events import events_router
from skill.api.health import HealthCheck, health_router
from skill.api.media import media_router
from skill.api.observability import Exposition, RequestObserver, metrics_router
from skill.api.offload import Offload, in_threads
from skill.api.play import play_router
from skill.api.problems import PROBLEM_JSON, install_problem_handlers, problem
from skill.api.recommendations import RecommendationsPages, recommendations_router
from skill.api.recommendations_endpoint import RecommendationsEndpoint
from skill.api.routines import routines_router
from skill.api.security.auth import ApiAuth, Authenticator, TokenAuthenticator
from skill.api.security.depth_guard import JsonDepthGuard
from skill.api.security.rate_limit import RateLimiter
from telemetry import Telemetry

__all__ = ["PROBLEM_JSON", "Verifier", "create_app", "problem"]


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
    offload: Offload = in_threads,
) -> FastAPI:
    """The app, on the ``listening`` use cases (the skill's too). ``authenticator`` knows
    the API's bearer tokens (None: it refuses every one), ``rate_limiter`` bounds each
    listener's requests (None: unbounded); ``media_signer`` serves ``/media``
    (None: no local media); ``health_checks`` maps a name to a callable that raises when its
    backend is unhealthy (``/ready``). ``telemetry`` times each request (the ``total``
    stage) and ``metrics_exposition`` serves ``GET /metrics`` (None: no such route);
    ``erasure`` serves ``DELETE /v1/users/me`` (None: no such route). ``offload`` runs the
    Alexa endpoint's turns and the recommendations page's work (``skill.api.offload``: in
    the thread pool unless the backends are all local)."""
    app = FastAPI(
        title="Philomath",
        version="1.0.0",
        description="Music recommendations for voice assistants and their apps.",
    )
    auth = ApiAuth(authenticator or TokenAuthenticator({}), rate_limiter)
    # Middlewares, innermost first (each one added wraps those before it):
    app.add_middleware(JsonDepthGuard)  # before any route parses a body
    # POST /alexa answered here, past the depth guard: the endpoint bounds its own body.
    app.add_middleware(AlexaEndpoint, skill=skill, offload=offload, verifier=verifier)
    # Ordinary recommendations pages too; the route answers the others (and documents it).
    pages = RecommendationsPages(listening.player, parser, auth)
    app.add_middleware(RecommendationsEndpoint, pages=pages, offload=offload)
    install_problem_handlers(app)  # and LastResort, around both
    app.add_middleware(RequestObserver, telemetry=telemetry or Telemetry())

    app.include_router(health_router(dict(health_checks or {})))
    app.include_router(recommendations_router(listening.player, parser, auth, offload, pages))
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
