"""A made-up OIDC issuer for the API's JWT tests: signing keys, its JWKS (served through a
fetcher that counts calls and can fail) and tokens with whatever claims a test needs."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "https://issuer.philomath.test/pool-1"
AUDIENCE = "philomath-app"


class FakeIssuer:
    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self.published: list[str] = []  # kids in the JWKS, in order
        self.fetches = 0
        self.down = False
        self.publish(self.new_key("k1"))

    def new_key(self, kid: str) -> str:
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        return kid

    def publish(self, kid: str) -> None:
        self.published.append(kid)

    def fetch(self) -> Mapping[str, Any]:
        """The fetcher a ``JwksCache`` calls: the JWKS document as the issuer publishes it."""
        self.fetches += 1
        if self.down:
            raise OSError("connection refused")
        algorithm = jwt.get_algorithm_by_name("ES256")
        keys = []
        for kid in self.published:
            jwk: dict[str, Any] = algorithm.to_jwk(self.keys[kid].public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "ES256"})
        return {"keys": keys}

    def token(
        self,
        kid: str = "k1",
        *,
        key: ec.EllipticCurvePrivateKey | None = None,
        lifetime_s: float = 600,
        **claims: Any,
    ) -> str:
        """A token signed by ``key`` (``kid``'s own by default); the standard claims may be
        overridden, or dropped by passing None."""
        now = time.time()
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "usr-0000001",
            "iat": int(now),
            "exp": int(now + lifetime_s),
            "scope": "recommendations:read play events:write",
        }
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        signer = key if key is not None else self.keys[kid]
        return jwt.encode(payload, signer, algorithm="ES256", headers={"kid": kid})
