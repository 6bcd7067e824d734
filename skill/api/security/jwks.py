"""An issuer's signing keys (a JWKS), fetched through an injected fetcher and cached.

Issuers rotate keys by publishing the new one beside the old before signing with it, so a
token whose ``kid`` is not cached triggers one refetch; refetches are at most one per
``min_refetch_s``, so a stream of made-up ``kid`` values cannot hammer the issuer. The set is
also refreshed when older than ``max_age_s``; if that fails the cached keys keep serving.
Only asymmetric signing keys are kept: a shared-secret (``oct``) key in a public JWKS would let
anyone sign.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from jwt import PyJWK
from jwt.exceptions import PyJWTError

logger = logging.getLogger(__name__)

# Asymmetric JWS algorithms only: never "none" or HMAC.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")

JwksFetcher = Callable[[], Mapping[str, Any]]  # returns the JWKS document; raises when it cannot


class JwksUnavailable(Exception):
    """The issuer's keys could not be fetched and none are cached."""


class JwksCache:
    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        min_refetch_s: float = 60.0,
        max_age_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch, self._min_refetch_s, self._max_age_s = fetch, min_refetch_s, max_age_s
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._tried_at: float | None = None  # last attempt, successful or not
        self._lock = threading.Lock()

    def key(self, kid: str) -> PyJWK | None:
        """The signing key ``kid``, or None when the issuer does not publish it. Raises
        ``JwksUnavailable`` when nothing is cached and the issuer cannot be reached."""
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self._max_age_s
            if (kid not in self._keys or stale) and self._may_fetch(now):
                self._refresh(now)
            if self._fetched_at is None:
                raise JwksUnavailable("the issuer's signing keys could not be fetched")
            return self._keys.get(kid)

    def _may_fetch(self, now: float) -> bool:
        return self._tried_at is None or now - self._tried_at >= self._min_refetch_s

    def _refresh(self, now: float) -> None:
        self._tried_at = now
        try:
            document = self._fetch()
            keys = parse_jwks(document)
        except Exception as exc:  # any fetch failure: keep what is cached
            logger.warning("could not fetch the issuer's JWKS: %s", exc)
            return
        self._keys, self._fetched_at = keys, now


def parse_jwks(document: Mapping[str, Any]) -> dict[str, PyJWK]:
    """kid -> key for the asymmetric signing keys of a JWKS document; others are skipped."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ValueError("a JWKS document needs a 'keys' list")
    keys: dict[str, PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or entry.get("kty") not in ("RSA", "EC"):
            continue
        try:
            key = PyJWK(entry)
        except PyJWTError:  # an unusable key (InvalidKeyError, PyJWKError)
            continue
        if key.algorithm_name in ALGORITHMS:
            keys[kid] = key
    return keys


def _local(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


def check_https(url: str) -> None:
    """ValueError unless ``url`` is https (http only to this machine, for tests and demos)."""
    scheme = urlsplit(url).scheme
    if scheme != "https" and not (scheme == "http" and _local(url)):
        raise ValueError("must be an https URL")


def http_fetcher(jwks_url: str | None, issuer: str, *, timeout_s: float = 3.0) -> JwksFetcher:
    """Fetches ``jwks_url``, or when None the ``jwks_uri`` of the issuer's OpenID discovery
    document (``<issuer>/.well-known/openid-configuration``), found on first use."""
    found: list[str] = [jwks_url] if jwks_url else []

    def get(url: str) -> Any:
        check_https(url)
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return json.loads(response.read(1024 * 1024))

    def fetch() -> Mapping[str, Any]:
        if not found:
            discovery = get(issuer.rstrip("/") + "/.well-known/openid-configuration")
            if not isinstance(discovery, dict) or not isinstance(discovery.get("jwks_uri"), str):
                raise ValueError("the issuer's discovery document has no jwks_uri")
            found.append(discovery["jwks_uri"])
        document = get(found[0])
        if not isinstance(document, dict):
            raise ValueError("the JWKS is not a JSON object")
        return document

    return fetch
