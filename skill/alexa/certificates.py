"""Alexa's signing certificate: where it may come from, fetching it, and trusting it.

Alexa signs every request to an HTTPS skill endpoint and names its certificate chain in the
``SignatureCertChainUrl`` header. Before the public key in it may be used, Amazon's rules
for hosting a skill as a web service require:

- the URL: scheme ``https``, host ``s3.amazonaws.com`` (both case-insensitive), a path that
  starts with ``/echo.api/`` once normalized (case-sensitive), port 443 if one is given;
- the certificate: inside its validity dates, ``echo-api.amazon.com`` among its subject
  alternative names, and chained to a trusted root by the certificates in the file.

The chain is checked with ``cryptography.x509.verification`` (path building, signatures,
validity of every certificate, the name, CA constraints); the dates and the name are also
checked first, one by one, so a refusal says what was wrong. Chains are fetched through an
injectable fetcher and cached by URL until their earliest expiry.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509 import DNSName
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from skill.alexa.errors import VerificationFailed

logger = logging.getLogger(__name__)

ECHO_API_NAME = "echo-api.amazon.com"
CHAIN_HOST = "s3.amazonaws.com"
CHAIN_PATH_PREFIX = "/echo.api/"
MAX_CHAIN_BYTES = 64 * 1024
MAX_CACHED_CHAINS = 32

# Downloads the certificate chain at a URL (PEM bytes); raises OSError when it cannot.
CertificateFetcher = Callable[[str], bytes]


def check_chain_url(url: str) -> str:
    """``url`` normalized, or VerificationFailed when it breaks one of Amazon's rules."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise VerificationFailed(f"the certificate chain URL is malformed: {exc}") from exc
    if parts.scheme.lower() != "https":
        raise VerificationFailed("the certificate chain URL must use https")
    if (parts.hostname or "").lower() != CHAIN_HOST:
        raise VerificationFailed(f"the certificate chain URL must be on {CHAIN_HOST}")
    if port is not None and port != 443:
        raise VerificationFailed("the certificate chain URL must use port 443")
    path = posixpath.normpath(unquote(parts.path)) if parts.path else ""
    if not (path + "/").startswith(CHAIN_PATH_PREFIX) or path + "/" == CHAIN_PATH_PREFIX:
        raise VerificationFailed(
            f"the certificate chain URL path must start with {CHAIN_PATH_PREFIX}"
        )
    return f"https://{CHAIN_HOST}{path}"


def fetch_https(url: str, timeout_s: float = 3.0) -> bytes:
    """The default fetcher: a plain GET with a timeout and a size cap."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - https only
        body: bytes = response.read(MAX_CHAIN_BYTES + 1)
    if len(body) > MAX_CHAIN_BYTES:
        raise OSError(f"certificate chain at {url} is larger than {MAX_CHAIN_BYTES} bytes")
    return body


def default_trust_roots() -> list[x509.Certificate]:
    """Mozilla's root certificates as certifi ships them (Amazon's roots among them)."""
    import certifi

    with open(certifi.where(), "rb") as bundle:
        return x509.load_pem_x509_certificates(bundle.read())


@dataclass(frozen=True, slots=True)
class _Trusted:
    key: RSAPublicKey
    valid_from: dt.datetime  # the latest not-before in the chain
    valid_until: dt.datetime  # the earliest not-after in the chain


class SigningCertificates:
    """The public keys of verified Alexa signing chains, by chain URL.

    ``trust_roots`` default to ``default_trust_roots()`` (read when first needed);
    ``fetcher`` to ``fetch_https``; ``clock`` returns UTC seconds since the epoch.
    """

    def __init__(
        self,
        *,
        fetcher: CertificateFetcher = fetch_https,
        trust_roots: Sequence[x509.Certificate] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._fetcher = fetcher
        self._roots = list(trust_roots) if trust_roots is not None else None
        self._clock = clock
        self._cache: dict[str, _Trusted] = {}
        self._lock = threading.Lock()

    def public_key(self, chain_url: str) -> RSAPublicKey:
        """The key of the verified chain at ``chain_url``; VerificationFailed otherwise."""
        url = check_chain_url(chain_url)
        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        with self._lock:
            trusted = self._cache.get(url)
        if trusted is None:
            trusted = self._verify_chain(self._fetch(url), now)
            with self._lock:
                if len(self._cache) >= MAX_CACHED_CHAINS:
                    self._cache.clear()
                self._cache[url] = trusted
        if not trusted.valid_from <= now <= trusted.valid_until:
            with self._lock:
                self._cache.pop(url, None)
            raise VerificationFailed("the signing certificate is not valid at this time")
        return trusted.key

    def _fetch(self, url: str) -> list[x509.Certificate]:
        try:
            pem = self._fetcher(url)
        except OSError as exc:
            raise VerificationFailed(f"cannot download the certificate chain: {exc}") from exc
        try:
            chain = x509.load_pem_x509_certificates(pem)
        except ValueError as exc:
            raise VerificationFailed("the certificate chain is not PEM certificates") from exc
        return chain

    def _verify_chain(self, chain: list[x509.Certificate], now: dt.datetime) -> _Trusted:
        leaf, intermediates = chain[0], chain[1:]
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise VerificationFailed("the signing certificate is expired or not yet valid")
        if ECHO_API_NAME not in _dns_names(leaf):
            raise VerificationFailed(f"the signing certificate is not for {ECHO_API_NAME}")
        key = leaf.public_key()
        if not isinstance(key, RSAPublicKey):
            raise VerificationFailed("the signing certificate does not hold an RSA key")
        if self._roots is None:
            self._roots = default_trust_roots()
        try:
            verifier = (
                PolicyBuilder()
                .store(Store(self._roots))
                .time(now)
                .build_server_verifier(DNSName(ECHO_API_NAME))
            )
            verified = verifier.verify(leaf, intermediates)
        except (VerificationError, ValueError) as exc:
            raise VerificationFailed(f"the certificate chain is not trusted: {exc}") from exc
        return _Trusted(
            key,
            max(c.not_valid_before_utc for c in verified),
            min(c.not_valid_after_utc for c in verified),
        )


def _dns_names(certificate: x509.Certificate) -> list[str]:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in san.value.get_values_for_type(x509.DNSName)]
