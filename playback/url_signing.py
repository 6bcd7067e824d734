"""Signed, expiring stream URLs: ``?exp=<unix seconds>&sig=<HMAC-SHA256>``.

The signature covers the track id and the expiry, not the host, so the same URL verifies
wherever the media is served from (the local ``/media`` route, or a CDN edge function that
holds the same key). A URL stops working at its expiry; Alexa fetches a stream when it starts
playing it, so the lifetime has to cover a track that waits in the queue behind another.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

DEFAULT_URL_TTL_S = 12 * 3600
MIN_KEY_BYTES = 16
_SIGNATURE_HEX_CHARS = 32  # 128 bits of the HMAC: unforgeable, and keeps URLs short


class UrlSigner:
    """Signs and checks (track id, expiry) pairs with one secret key."""

    def __init__(
        self,
        key: bytes,
        *,
        ttl_s: int = DEFAULT_URL_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the signing key must have at least {MIN_KEY_BYTES} bytes")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self._key = key
        self._ttl_s = ttl_s
        self._clock = clock

    def sign(self, track_id: str) -> tuple[int, str]:
        """(expiry, signature) for a URL of ``track_id`` made now."""
        expires = int(self._clock()) + self._ttl_s
        return expires, self._signature(track_id, expires)

    def verify(self, track_id: str, expires: int, signature: str) -> bool:
        """Whether ``signature`` is ours for this track and expiry, and it has not passed."""
        if expires <= self._clock():
            return False
        return hmac.compare_digest(self._signature(track_id, expires), signature)

    def _signature(self, track_id: str, expires: int) -> str:
        message = f"{track_id}\n{expires}".encode()
        # hmac.digest: the one-shot C path, several times quicker than hmac.new for a URL.
        return hmac.digest(self._key, message, hashlib.sha256).hex()[:_SIGNATURE_HEX_CHARS]
