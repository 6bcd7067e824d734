"""The API's security, from settings: secrets (from Secrets Manager or the environment), the
authenticator (static tokens for the local demo, JWTs of an OIDC issuer elsewhere), the rate
limiter, and the key that signs stream URLs.

A secret setting may hold a reference instead of the value: ``secretsmanager://<name>`` or a
Secrets Manager ARN, either followed by ``#<key>`` (``philomath.secret_refs``). Each is read
once, at start, through the boto3 client the composition root hands in.
"""

from __future__ import annotations

import logging
import os
import secrets as random_secrets
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from listening.identity import AccountLinkInvalid, IdentityUnavailable, TokenVerifier
from philomath.environment import running_in_aws, several_workers
from philomath.secret_refs import Secrets, setting_problem
from philomath.settings import Settings, parse_api_tokens
from playback.url_signing import MIN_KEY_BYTES
from skill.api.security.auth import (
    AuthenticationFailed,
    AuthenticationUnavailable,
    Authenticator,
    TokenAuthenticator,
)
from skill.api.security.jwks import JwksCache, JwksFetcher, http_fetcher
from skill.api.security.jwt_auth import JwtAuthenticator
from skill.api.security.rate_limit import InProcessRateLimiter, RateLimiter

logger = logging.getLogger(__name__)

# Settings that may name a secret instead of holding it.
SECRET_FIELDS = ("media_signing_key", "api_tokens", "jwt_audience", "rate_limit_url")


@dataclass
class ApiSecurity:
    authenticator: Authenticator
    rate_limiter: RateLimiter | None
    media_key: bytes

    def close(self) -> None:
        if self.rate_limiter is not None:
            self.rate_limiter.close()


def build_security(
    settings: Settings,
    secrets_client: Callable[[], Any],
    *,
    environ: Mapping[str, str] | None = None,
    jwks_fetcher: JwksFetcher | None = None,
) -> ApiSecurity:
    """Everything from ``settings`` (secrets through ``secrets_client()``, a boto3 Secrets
    Manager client); ``jwks_fetcher`` replaces fetching the issuer's keys over HTTPS."""
    env = os.environ if environ is None else environ
    values = Secrets(settings, secrets_client)
    return ApiSecurity(
        authenticator=build_authenticator(settings, values, env, jwks_fetcher),
        rate_limiter=build_rate_limiter(settings, values),
        media_key=media_signing_key(values, env),
    )


def build_authenticator(
    settings: Settings,
    values: Secrets,
    environ: Mapping[str, str],
    jwks_fetcher: JwksFetcher | None = None,
) -> Authenticator:
    if settings.auth == "jwt":
        fetch = jwks_fetcher or http_fetcher(settings.jwks_url or None, settings.jwt_issuer)
        return JwtAuthenticator(
            JwksCache(fetch, min_refetch_s=settings.jwks_min_refetch_s),
            issuer=settings.jwt_issuer,
            audience=values.value("jwt_audience"),
            listener_claim=settings.jwt_listener_claim,
            scope_prefix=settings.jwt_scope_prefix,
            leeway_s=settings.jwt_leeway_s,
        )
    try:
        tokens = parse_api_tokens(values.value("api_tokens"))
    except ValueError as exc:
        raise setting_problem("api_tokens", str(exc)) from None
    if tokens and running_in_aws(environ) and not settings.allow_static_tokens_in_aws:
        raise setting_problem(
            "api_tokens",
            "static tokens never expire, so they are for the local demo only: in AWS use "
            "PHILOMATH_AUTH=jwt (or set PHILOMATH_ALLOW_STATIC_TOKENS_IN_AWS=true)",
        )
    return TokenAuthenticator(tokens)


def build_rate_limiter(settings: Settings, values: Secrets) -> RateLimiter | None:
    """Per-listener token buckets: ``memory://`` (one process) or ``redis://`` (shared by
    every worker); None when ``PHILOMATH_RATE_LIMIT_PER_S`` is 0."""
    rate, burst = settings.rate_limit_per_s, settings.rate_limit_burst
    if rate == 0:
        return None
    url = values.value("rate_limit_url")
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return InProcessRateLimiter(rate, burst)
    if scheme in ("redis", "rediss"):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        from skill.api.security.redis_rate_limit import RedisRateLimiter

        # Fail fast, no retries: a request never waits long on its rate limit.
        client = redis.Redis.from_url(
            url, socket_timeout=0.05, socket_connect_timeout=0.05, retry=Retry(NoBackoff(), 0)
        )
        return RedisRateLimiter(client, rate, burst)
    raise setting_problem(
        "rate_limit_url", f"unknown scheme {scheme!r}; known: memory, redis, rediss"
    )


def media_signing_key(values: Secrets, environ: Mapping[str, str]) -> bytes:
    """The key of stream URLs. Every instance must share it, so in AWS or with several
    workers an unset key is an error; only the local demo makes one up, and says so."""
    key = values.value("media_signing_key").encode()
    if key:
        if len(key) < MIN_KEY_BYTES:
            raise setting_problem("media_signing_key", f"must be at least {MIN_KEY_BYTES} bytes")
        return key
    where = "in AWS" if running_in_aws(environ) else "with several workers (WEB_CONCURRENCY)"
    if running_in_aws(environ) or several_workers(environ):
        raise setting_problem(
            "media_signing_key",
            f"unset {where}, where every instance must sign stream URLs with one key: set it, "
            "or secretsmanager://<name>",
        )
    logger.warning(
        "PHILOMATH_MEDIA_SIGNING_KEY is unset: stream URLs use a random key made for this "
        "process (the local demo only; URLs stop verifying when it restarts)"
    )
    return random_secrets.token_bytes(32)


def share_media_key(environ: MutableMapping[str, str]) -> None:
    """Before several serving processes start: the local demo's made-up media key, made once
    here and handed to every worker through ``environ``, so a stream URL signed by one
    verifies in all. In AWS, or with the key set, nothing changes (``media_signing_key``
    then requires a real key)."""
    if environ.get("PHILOMATH_MEDIA_SIGNING_KEY") or running_in_aws(environ):
        return
    logger.warning(
        "PHILOMATH_MEDIA_SIGNING_KEY is unset: the serving processes share a random key made "
        "for this run (the local demo only; URLs stop verifying when it restarts)"
    )
    environ["PHILOMATH_MEDIA_SIGNING_KEY"] = random_secrets.token_urlsafe(32)


def token_verifier(authenticator: Authenticator) -> TokenVerifier:
    """The API's ``Authenticator`` as the voice skill's account-link check: the listener an
    Alexa access token names, as the same token would name it on the REST API."""

    def verify(token: str) -> str:
        try:
            return authenticator.authenticate(token).listener
        except AuthenticationFailed as exc:
            raise AccountLinkInvalid(str(exc)) from None
        except AuthenticationUnavailable as exc:
            raise IdentityUnavailable(str(exc)) from exc

    return verify
