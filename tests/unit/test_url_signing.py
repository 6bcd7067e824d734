"""Signed, expiring stream URLs."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from playback.stream_urls import StreamUrls
from playback.url_signing import UrlSigner

KEY = b"0123456789abcdef0123456789abcdef"


class Clock:
    now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_signed_url_verifies_until_it_expires() -> None:
    clock = Clock()
    signer = UrlSigner(KEY, ttl_s=60, clock=clock)
    url = StreamUrls("https://media.example/tracks", signer).url_for("t/1")
    parts = urlsplit(url)
    assert parts.path == "/tracks/t%2F1"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert int(query["exp"]) == 1_700_000_060
    assert signer.verify("t/1", int(query["exp"]), query["sig"])
    clock.now += 61
    assert not signer.verify("t/1", int(query["exp"]), query["sig"])


def test_a_signature_is_bound_to_the_track_the_expiry_and_the_key() -> None:
    signer = UrlSigner(KEY, clock=Clock())
    expires, signature = signer.sign("t-1")
    assert not signer.verify("t-2", expires, signature)
    assert not signer.verify("t-1", expires + 1, signature)
    assert not UrlSigner(b"x" * 32, clock=Clock()).verify("t-1", expires, signature)
    assert not signer.verify("t-1", expires, signature[:-1] + "0")


def test_weak_keys_and_lifetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        UrlSigner(b"short")
    with pytest.raises(ValueError):
        UrlSigner(KEY, ttl_s=0)


def test_without_a_signer_urls_are_bare() -> None:
    assert StreamUrls("https://m.example").url_for("t-1") == "https://m.example/t-1"
