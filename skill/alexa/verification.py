"""Verifying that a request to the HTTPS skill endpoint came from Alexa, for this skill.

``AlexaRequestVerifier`` is the HTTP app's ``verifier``: given the headers and the raw body it
returns, or raises ``VerificationFailed`` (answered with 400). In order:

1. the ``SignatureCertChainUrl`` and ``Signature-256`` headers are present;
2. the chain at that URL is acceptable and trusted (``certificates``);
3. ``Signature-256`` is the base64 RSA PKCS#1 v1.5 SHA-256 signature of the raw body bytes
   (before any parsing: re-serialized JSON would not verify);
4. ``request.timestamp`` is within 150 seconds of now, either way (replay protection);
5. the application id is one of this skill's (``check_skill_id``, shared with Lambda).

Verification is on by default (``PHILOMATH_VERIFY_ALEXA_SIGNATURES``); only a local
development server turns it off, explicitly.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from skill.alexa.certificates import SigningCertificates
from skill.alexa.errors import VerificationFailed

CHAIN_URL_HEADER = "SignatureCertChainUrl"
SIGNATURE_HEADER = "Signature-256"
MAX_SKEW_S = 150.0


def parse_skill_ids(text: str) -> frozenset[str]:
    """``"amzn1.ask.skill.a, amzn1.ask.skill.b"`` -> the set (one stage may have several)."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def application_id(envelope: Mapping[str, Any]) -> str | None:
    """The skill id Alexa addressed: ``context.System.application`` (every request), else
    ``session.application`` (older envelopes)."""
    for path in (("context", "System", "application"), ("session", "application")):
        node: Any = envelope
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        found = node.get("applicationId") if isinstance(node, dict) else None
        if isinstance(found, str) and found:
            return found
    return None


def check_skill_id(envelope: object, skill_ids: Iterable[str]) -> None:
    """VerificationFailed unless the envelope is addressed to one of ``skill_ids``. An
    empty set refuses everything: a skill that does not know its id cannot check it."""
    allowed = frozenset(skill_ids)
    if not allowed:
        raise VerificationFailed("no Alexa skill id is configured (PHILOMATH_ALEXA_SKILL_ID)")
    found = application_id(envelope) if isinstance(envelope, dict) else None
    if found not in allowed:
        raise VerificationFailed("the request is for another skill")


def check_timestamp(envelope: object, now: float, max_skew_s: float = MAX_SKEW_S) -> None:
    request = envelope.get("request") if isinstance(envelope, dict) else None
    stamp = request.get("timestamp") if isinstance(request, dict) else None
    if not isinstance(stamp, str):
        raise VerificationFailed("the request has no timestamp")
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError as exc:
        raise VerificationFailed("the request timestamp is not ISO 8601") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if abs(when.timestamp() - now) > max_skew_s:
        raise VerificationFailed("the request timestamp is too far from now")


class AlexaRequestVerifier:
    """Checks one request (see the module docstring); thread safe."""

    def __init__(
        self,
        skill_ids: Iterable[str],
        *,
        certificates: SigningCertificates | None = None,
        clock: Callable[[], float] = time.time,
        max_skew_s: float = MAX_SKEW_S,
    ) -> None:
        self._skill_ids = frozenset(skill_ids)
        self._certificates = certificates or SigningCertificates(clock=clock)
        self._clock = clock
        self._max_skew_s = max_skew_s

    def __call__(self, headers: Mapping[str, str], body: bytes) -> None:
        lowered = {name.lower(): value for name, value in headers.items()}
        chain_url = lowered.get(CHAIN_URL_HEADER.lower())
        signature = lowered.get(SIGNATURE_HEADER.lower())
        if not chain_url or not signature:
            raise VerificationFailed("the request is not signed")
        key = self._certificates.public_key(chain_url)
        try:
            key.verify(
                base64.b64decode(signature, validate=True),
                body,
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, binascii.Error, ValueError) as exc:
            raise VerificationFailed("the request signature does not match its body") from exc
        try:
            envelope = json.loads(body)
        except ValueError as exc:
            raise VerificationFailed("a signed body that is not JSON") from exc
        check_timestamp(envelope, self._clock(), self._max_skew_s)
        check_skill_id(envelope, self._skill_ids)
