"""Bearer tokens for app clients: each token belongs to one listener, and a client sees
only that listener's data, within the scopes its token grants, at a bounded rate.

``Authenticator`` is the port: a token in, a ``Principal`` (listener, scopes) out. Two
adapters: ``TokenAuthenticator`` here, a static map for the local demo, and
``skill.api.security.jwt_auth.JwtAuthenticator``, JWTs of an OIDC issuer (Cognito or any other)
checked against its JWKS. The composition root picks one (``PHILOMATH_AUTH``). ``ApiAuth`` is
what routes call: authentication (401), the rate limit (429), the route's scope and the
listener of the path (403).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from skill.api.problems import ApiProblem
from skill.api.security.rate_limit import RateLimiter

ME = "me"  # a path's user id that means "the listener of this token"
_SCHEME = HTTPBearer(auto_error=False, description="A token issued to one listener's app.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_SCHEME)]

# The scopes routes ask for (OAuth 2.0 scope names, as a Cognito resource server defines them).
READ = "recommendations:read"
PLAY = "play"
EVENTS = "events:write"
SCOPES = (READ, PLAY, EVENTS)

_REALM = 'Bearer realm="philomath"'


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a valid token speaks for; ``scopes`` None grants every scope (static tokens)."""

    listener: str
    scopes: frozenset[str] | None = None

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


class AuthenticationFailed(Exception):
    """The token is not valid (forged, expired, for another audience...): a 401. The message
    says why, for the client (RFC 6750 ``error_description``), never what the token holds."""


class AuthenticationUnavailable(Exception):
    """The token cannot be checked now (the issuer's keys cannot be fetched): a 503."""


class Authenticator(Protocol):
    def authenticate(self, token: str) -> Principal:
        """The principal of ``token``; raises ``AuthenticationFailed`` or
        ``AuthenticationUnavailable``."""
        ...


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenAuthenticator:
    """Static tokens, for the local demo: a mapping token -> listener id (a key may be
    ``sha256:<hex>`` of the token). Only digests are kept, and a token is looked up by its
    digest: a caller cannot steer a SHA-256 digest towards a stored one, so the lookup's
    timing tells nothing of the stored tokens, and it costs the same for 1 or 100,000. Its
    tokens never expire and grant every scope, which is why AWS deployments refuse it. An
    empty mapping refuses every token."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._listeners: dict[str, str] = {}
        for token, listener in tokens.items():
            if not token or not listener:
                raise ValueError("API tokens and listener ids must not be empty")
            digest = token.removeprefix("sha256:").lower() if token.startswith("sha256:") else None
            self._listeners[digest or _digest(token)] = listener

    def listener(self, token: str) -> str | None:
        """The listener a token belongs to, or None."""
        return self._listeners.get(_digest(token))

    def authenticate(self, token: str) -> Principal:
        listener = self.listener(token)
        if listener is None:
            raise AuthenticationFailed("unknown token")
        return Principal(listener)


def _quoted(text: str) -> str:
    """``text`` safe inside a quoted WWW-Authenticate parameter."""
    return "".join(c for c in text if c.isprintable() and c not in '"\\')[:200]


class ApiAuth:
    """What every ``/v1`` route calls first: ``authorize(credentials, user_id, scope)``."""

    def __init__(
        self, authenticator: Authenticator, rate_limiter: RateLimiter | None = None
    ) -> None:
        self._authenticator = authenticator
        self._rate_limiter = rate_limiter

    def authorize(
        self, credentials: HTTPAuthorizationCredentials | None, user_id: str, scope: str | None
    ) -> str:
        """The listener whose data the request may see: 401 without a valid token, 429 over
        the listener's rate, 403 without ``scope`` (None: any token of the listener will
        do) or when ``user_id`` (other than ``me``) is another listener; 503 when tokens
        cannot be checked now."""
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiProblem(
                401, "Authentication required", "send Authorization: Bearer <token>",
                {"WWW-Authenticate": _REALM},
            )  # fmt: skip
        try:
            principal = self._authenticator.authenticate(credentials.credentials)
        except AuthenticationFailed as exc:
            reason = _quoted(str(exc)) or "invalid token"
            header = f'{_REALM}, error="invalid_token", error_description="{reason}"'
            raise ApiProblem(401, "Invalid token", reason, {"WWW-Authenticate": header}) from None
        except AuthenticationUnavailable as exc:
            raise ApiProblem(503, "Authentication unavailable", "try again shortly") from exc
        self._limit(principal.listener)
        if scope is not None and not principal.allows(scope):
            header = f'{_REALM}, error="insufficient_scope", scope="{scope}"'
            raise ApiProblem(
                403, "Insufficient scope", f"this route needs the {scope} scope",
                {"WWW-Authenticate": header},
            )  # fmt: skip
        if user_id not in (ME, principal.listener):
            raise ApiProblem(403, "Forbidden", "this token belongs to another listener")
        return principal.listener

    def _limit(self, listener: str) -> None:
        if self._rate_limiter is None:
            return
        wait_s = self._rate_limiter.acquire(f"listener:{listener}")
        if wait_s > 0:
            seconds = max(1, math.ceil(wait_s))
            raise ApiProblem(
                429, "Too many requests", f"retry in {seconds} s",
                {"Retry-After": str(seconds)},
            )  # fmt: skip
