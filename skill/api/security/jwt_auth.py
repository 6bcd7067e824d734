"""``Authenticator`` for JWT bearer tokens of an OIDC issuer (Cognito or any other).

A token is accepted when its signature verifies with a key of the issuer's JWKS (by ``kid``,
asymmetric algorithms only), it has not expired (``leeway_s`` of clock skew allowed), its
``iss`` is the issuer and its audience is ours: the ``aud`` claim, or for Cognito access
tokens, which carry none, ``client_id``. The listener is one claim (``sub`` by default); the
scopes are ``scope`` (space-separated) or ``scp``, with an optional prefix stripped (a Cognito
resource server names them ``<identifier>/<scope>``).
"""

from __future__ import annotations

from typing import Any

import jwt

from skill.api.security.auth import AuthenticationFailed, AuthenticationUnavailable, Principal
from skill.api.security.jwks import ALGORITHMS, JwksCache, JwksUnavailable

_FAILURES: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidIssuerError, "the token is from another issuer"),
    (jwt.InvalidSignatureError, "the token's signature does not verify"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
    (jwt.InvalidAlgorithmError, "the token's algorithm is not accepted"),
)


class JwtAuthenticator:
    def __init__(
        self,
        keys: JwksCache,
        *,
        issuer: str,
        audience: str,
        listener_claim: str = "sub",
        scope_prefix: str = "",
        leeway_s: float = 30.0,
    ) -> None:
        if not issuer or not audience or not listener_claim:
            raise ValueError("a JWT authenticator needs an issuer, an audience and a claim")
        self._keys, self._issuer, self._audience = keys, issuer, audience
        self._claim, self._prefix, self._leeway_s = listener_claim, scope_prefix, leeway_s

    def authenticate(self, token: str) -> Principal:
        claims = self._verified_claims(token)
        audience = claims.get("aud", claims.get("client_id"))
        audiences = audience if isinstance(audience, list) else [audience]
        if self._audience not in audiences:
            raise AuthenticationFailed("the token is for another audience")
        listener = claims.get(self._claim)
        if not isinstance(listener, str) or not listener:
            raise AuthenticationFailed(f"the token has no {self._claim} claim")
        return Principal(listener, self._scopes(claims))

    def _verified_claims(self, token: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError:
            raise AuthenticationFailed("the token is not a JWT") from None
        if not isinstance(kid, str):
            raise AuthenticationFailed("the token names no signing key (kid)")
        try:
            key = self._keys.key(kid)
        except JwksUnavailable as exc:
            raise AuthenticationUnavailable(str(exc)) from exc
        if key is None:
            raise AuthenticationFailed("the token's signing key is unknown")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                issuer=self._issuer,
                leeway=self._leeway_s,
                options={"require": ["exp", "iss"], "verify_aud": False},  # audience below
            )
        except jwt.InvalidTokenError as exc:
            raise AuthenticationFailed(_reason(exc)) from None
        return claims

    def _scopes(self, claims: dict[str, Any]) -> frozenset[str]:
        granted = claims.get("scope", claims.get("scp", ""))
        names = granted.split() if isinstance(granted, str) else granted
        if not isinstance(names, list):
            return frozenset()
        return frozenset(
            name.removeprefix(self._prefix)
            for name in names
            if isinstance(name, str) and name.startswith(self._prefix)
        )


def _reason(error: Exception) -> str:
    for kind, reason in _FAILURES:
        if isinstance(error, kind):
            return reason
    return "the token is not valid"
