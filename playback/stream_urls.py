"""Stream URLs for catalog tracks.

Alexa's AudioPlayer only plays HTTPS URLs with a trusted certificate, so a non-HTTPS base URL
is refused when the object is built, not discovered when a device stays silent. Plain HTTP is
allowed for loopback hosts only, for local development and tests.

With a ``UrlSigner`` every URL carries an expiry and a signature (``playback.url_signing``);
without one URLs are bare, which only fits a media host that needs no proof (tests).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from playback.url_signing import UrlSigner

_LOOPBACK_HOSTS = frozenset(("127.0.0.1", "localhost", "::1"))


class InsecureStreamUrl(ValueError):
    """The stream base URL is not HTTPS (and not a loopback development URL)."""


class StreamUrls:
    """Maps a track id to the URL its audio is streamed from: ``<base_url>/<track id>``."""

    def __init__(self, base_url: str, signer: UrlSigner | None = None) -> None:
        parts = urlsplit(base_url)
        if not parts.hostname:
            raise InsecureStreamUrl(f"stream base URL {base_url!r} has no host")
        if parts.scheme != "https" and not (
            parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
        ):
            raise InsecureStreamUrl(
                f"stream base URL {base_url!r} must use https: Alexa AudioPlayer refuses other "
                "schemes (http is accepted for 127.0.0.1 and localhost during development)"
            )
        if parts.query or parts.fragment:
            raise InsecureStreamUrl(f"stream base URL {base_url!r} must not have a query")
        self._base = base_url.rstrip("/")
        self._signer = signer

    @property
    def base_url(self) -> str:
        return self._base

    @property
    def signer(self) -> UrlSigner | None:
        return self._signer

    def url_for(self, track_id: str) -> str:
        """The track's stream URL; the id is percent-encoded so it stays one path segment."""
        if not track_id:
            raise ValueError("track_id must not be empty")
        url = f"{self._base}/{quote(track_id, safe='')}"
        if self._signer is None:
            return url
        expires, signature = self._signer.sign(track_id)
        return f"{url}?exp={expires}&sig={signature}"  # digits and hex: nothing to encode
