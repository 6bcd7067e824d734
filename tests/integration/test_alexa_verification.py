"""POST /alexa with request verification on: signed like Alexa with a local CA standing in
for Amazon's. Unsigned, tampered, wrongly chained, expired, stale and wrong-skill requests
are refused with 400; a correctly signed one is answered."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from skill.alexa import VerificationFailed, envelopes
from skill.alexa.certificates import SigningCertificates, check_chain_url
from skill.alexa.verification import AlexaRequestVerifier, check_skill_id, parse_skill_ids
from skill.http_app import PROBLEM_JSON, create_app
from tests.alexa_pki import CHAIN_URL, NOW, Pki, sign, signed_request
from tests.fakes import World

SKILL_ID = "amzn1.ask.skill.philomath-local"  # what envelopes.* put in requests
USER = "amzn1.ask.account.verified"


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki.create()


class Fetcher:
    """Serves one chain variant and counts downloads."""

    def __init__(self, pki: Pki, variant: str = "good") -> None:
        self.pki = pki
        self.variant = variant
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.pki.chains[self.variant]


@pytest.fixture
def fetcher(pki: Pki) -> Fetcher:
    return Fetcher(pki)


@pytest.fixture
def client(world: World, pki: Pki, fetcher: Fetcher) -> Iterator[TestClient]:
    clock: Callable[[], float] = NOW.timestamp
    certificates = SigningCertificates(
        fetcher=fetcher, trust_roots=[pki.root.certificate], clock=clock
    )
    verifier = AlexaRequestVerifier([SKILL_ID], certificates=certificates, clock=clock)
    app = create_app(world.listening, world.parser, world.skill, verifier=verifier)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def envelope(**changes: Any) -> dict[str, Any]:
    env = envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, USER)
    env["request"]["timestamp"] = changes.pop("timestamp", NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
    env["context"]["System"]["application"]["applicationId"] = changes.pop("skill_id", SKILL_ID)
    return env


def post(client: TestClient, body: bytes, headers: dict[str, str]) -> Any:
    return client.post("/alexa", content=body, headers=headers)


def assert_refused(response: Any) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["title"] == "Request verification failed"


def test_a_correctly_signed_request_is_answered(client: TestClient, pki: Pki) -> None:
    response = post(client, *signed_request(envelope(), pki.leaf.key))
    assert response.status_code == 200, response.text
    assert response.json()["response"]["directives"][0]["type"] == "AudioPlayer.Play"


def test_an_unsigned_request_is_refused(client: TestClient, fetcher: Fetcher) -> None:
    assert_refused(client.post("/alexa", json=envelope()))
    assert fetcher.urls == []


def test_a_request_without_the_signature_header_is_refused(client: TestClient, pki: Pki) -> None:
    body, headers = signed_request(envelope(), pki.leaf.key)
    del headers["Signature-256"]
    assert_refused(post(client, body, headers))


def test_a_tampered_body_is_refused(client: TestClient, pki: Pki) -> None:
    body, headers = signed_request(envelope(), pki.leaf.key)
    tampered = body.replace(b"relaxing", b"energetic")
    assert tampered != body
    assert_refused(post(client, tampered, headers))


def test_a_signature_by_another_key_is_refused(client: TestClient, pki: Pki) -> None:
    body, headers = signed_request(envelope(), pki.intermediate.key)
    assert_refused(post(client, body, headers))


def test_a_signature_that_is_not_base64_is_refused(client: TestClient, pki: Pki) -> None:
    body, headers = signed_request(envelope(), pki.leaf.key)
    headers["Signature-256"] = "not base64 at all!"
    assert_refused(post(client, body, headers))


@pytest.mark.parametrize("variant", ["wrongly-chained", "expired", "other-name", "leaf-only"])
def test_a_chain_that_does_not_verify_is_refused(
    client: TestClient, pki: Pki, fetcher: Fetcher, variant: str
) -> None:
    fetcher.variant = variant
    # The leaf key is the same in every variant: only the certificate is wrong.
    assert_refused(post(client, *signed_request(envelope(), pki.leaf.key)))


def test_a_chain_that_is_not_pem_is_refused(client: TestClient, pki: Pki, fetcher: Fetcher) -> None:
    pki_chains = dict(pki.chains)
    fetcher.pki = copy.copy(pki)
    fetcher.pki.chains = {**pki_chains, "good": b"<html>not a certificate</html>"}
    assert_refused(post(client, *signed_request(envelope(), pki.leaf.key)))


def test_a_chain_that_cannot_be_downloaded_is_refused(world: World, pki: Pki) -> None:
    def unreachable(url: str) -> bytes:
        raise OSError("connection refused")

    certificates = SigningCertificates(
        fetcher=unreachable, trust_roots=[pki.root.certificate], clock=NOW.timestamp
    )
    verifier = AlexaRequestVerifier([SKILL_ID], certificates=certificates, clock=NOW.timestamp)
    with pytest.raises(VerificationFailed, match="download"):
        body, headers = signed_request(envelope(), pki.leaf.key)
        verifier(headers, body)


@pytest.mark.parametrize("seconds", [-151, 151, 3600])
def test_a_stale_or_future_timestamp_is_refused(client: TestClient, pki: Pki, seconds: int) -> None:
    stamp = (NOW + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_refused(post(client, *signed_request(envelope(timestamp=stamp), pki.leaf.key)))


@pytest.mark.parametrize("seconds", [-150, 149])
def test_a_timestamp_within_150_seconds_is_accepted(
    client: TestClient, pki: Pki, seconds: int
) -> None:
    stamp = (NOW + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = post(client, *signed_request(envelope(timestamp=stamp), pki.leaf.key))
    assert response.status_code == 200


def test_a_request_for_another_skill_is_refused(client: TestClient, pki: Pki) -> None:
    other = envelope(skill_id="amzn1.ask.skill.someone-else")
    assert_refused(post(client, *signed_request(other, pki.leaf.key)))


def test_the_chain_is_downloaded_once_and_cached(
    client: TestClient, pki: Pki, fetcher: Fetcher
) -> None:
    for _ in range(3):
        assert post(client, *signed_request(envelope(), pki.leaf.key)).status_code == 200
    assert fetcher.urls == [CHAIN_URL]


def test_a_cached_chain_stops_verifying_when_it_expires(pki: Pki) -> None:
    now = [NOW.timestamp()]
    certificates = SigningCertificates(
        fetcher=Fetcher(pki), trust_roots=[pki.root.certificate], clock=lambda: now[0]
    )
    certificates.public_key(CHAIN_URL)
    now[0] += 400 * 24 * 3600
    with pytest.raises(VerificationFailed, match="not valid"):
        certificates.public_key(CHAIN_URL)


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
    ],
)
def test_chain_urls_amazon_allows(url: str) -> None:
    assert check_chain_url(url) == "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"


@pytest.mark.parametrize(
    "url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://notamazon.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
        "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api%2F..%2Finvalid.path/cert.pem",
        "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/",
    ],
)
def test_chain_urls_amazon_forbids_are_refused_before_any_download(
    client: TestClient, pki: Pki, fetcher: Fetcher, url: str
) -> None:
    with pytest.raises(VerificationFailed):
        check_chain_url(url)
    assert_refused(post(client, *signed_request(envelope(), pki.leaf.key, chain_url=url)))
    assert fetcher.urls == []


def test_skill_ids_come_from_a_comma_separated_setting() -> None:
    assert parse_skill_ids(" amzn1.ask.skill.a, ,amzn1.ask.skill.b ") == {
        "amzn1.ask.skill.a",
        "amzn1.ask.skill.b",
    }
    with pytest.raises(VerificationFailed, match="no Alexa skill id"):
        check_skill_id(envelope(), [])
    check_skill_id(envelope(), [SKILL_ID])
    legacy = envelope()
    del legacy["context"]["System"]["application"]
    check_skill_id(legacy, [SKILL_ID])  # session.application still names it


def test_signing_helper_signs_the_exact_bytes(pki: Pki) -> None:
    assert sign(b"a", pki.leaf.key) != sign(b"b", pki.leaf.key)
