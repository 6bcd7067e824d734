"""Bearer tokens for app clients: each token belongs to one listener, and a client sees
only that listener's data.

Tokens are configured as a mapping token -> listener id (``PHILOMATH_API_TOKENS``, JSON). A
key may be given as ``sha256:<hex>`` of the token instead, so deployments need not store
tokens in clear. Only SHA-256 digests are kept in memory, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from skill.api.problems import ApiProblem

ME = "me"  # a path's user id that means "the listener of this token"
_SCHEME = HTTPBearer(auto_error=False, description="A token issued to one listener's app.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_SCHEME)]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenAuthenticator:
    """Maps bearer tokens to listener ids; an empty mapping refuses every token."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._listeners: dict[str, str] = {}
        for token, listener in tokens.items():
            if not token or not listener:
                raise ValueError("API tokens and listener ids must not be empty")
            digest = token.removeprefix("sha256:").lower() if token.startswith("sha256:") else None
            self._listeners[digest or _digest(token)] = listener

    def listener(self, token: str) -> str | None:
        """The listener a token belongs to, or None."""
        wanted = _digest(token)
        for digest, listener in self._listeners.items():
            if hmac.compare_digest(digest, wanted):
                return listener
        return None

    def authorize(self, credentials: HTTPAuthorizationCredentials | None, user_id: str) -> str:
        """The listener whose data the request may see: 401 without a valid token, 403
        when ``user_id`` (other than ``me``) is another listener."""
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiProblem(
                401, "Authentication required", "send Authorization: Bearer <token>",
                {"WWW-Authenticate": 'Bearer realm="philomath"'},
            )  # fmt: skip
        listener = self.listener(credentials.credentials)
        if listener is None:
            raise ApiProblem(
                401, "Invalid token", None,
                {"WWW-Authenticate": 'Bearer realm="philomath", error="invalid_token"'},
            )  # fmt: skip
        if user_id not in (ME, listener):
            raise ApiProblem(403, "Forbidden", "this token belongs to another listener")
        return listener
