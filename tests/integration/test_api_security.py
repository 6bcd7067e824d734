"""The REST API's security: JWT bearer tokens of an OIDC issuer checked against its JWKS
(signature, expiry, issuer, audience, scope per route, key rotation), per-listener rate
limits, and how both are documented. Every refusal is a problem+json body; a 401 says why in
``WWW-Authenticate`` (RFC 6750), a 403 for scope names the scope, a 429 says when to retry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from skill.api.security.auth import EVENTS, READ, TokenAuthenticator
from skill.api.security.jwks import JwksCache
from skill.api.security.jwt_auth import JwtAuthenticator
from skill.api.security.rate_limit import InProcessRateLimiter
from skill.http_app import create_app
from tests.fakes import KNOWN_USER, FakeClock, World
from tests.integration.api_client import KNOWN_TOKEN, assert_problem, bearer
from tests.oidc_issuer import AUDIENCE, ISSUER, FakeIssuer

EVENTS_PATH = "/v1/users/me/events"
ONE_EVENT = {"events": [{"kind": "started", "track_id": "t-pop-1"}]}


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def jwks_clock() -> FakeClock:
    return FakeClock()


def jwt_app(world: World, issuer: FakeIssuer, clock: FakeClock, **options: Any) -> TestClient:
    keys = JwksCache(issuer.fetch, min_refetch_s=60, clock=clock)
    authenticator = JwtAuthenticator(keys, issuer=ISSUER, audience=AUDIENCE, **options)
    app = create_app(world.listening, world.parser, world.skill, authenticator=authenticator)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(world: World, issuer: FakeIssuer, jwks_clock: FakeClock) -> Iterator[TestClient]:
    with jwt_app(world, issuer, jwks_clock) as test_client:
        yield test_client


def post_events(client: TestClient, token: str | None, path: str = EVENTS_PATH) -> Any:
    headers = bearer(token) if token is not None else {}
    return client.post(path, json=ONE_EVENT, headers=headers)


def assert_unauthorized(response: Any, reason: str) -> None:
    problem = assert_problem(response, 401)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="philomath", error="invalid_token"'), challenge
    assert reason in challenge and reason in str(problem["detail"])


# -- JWTs --------------------------------------------------------------------------------------


def test_a_good_token_works_for_its_own_listener(
    client: TestClient, world: World, issuer: FakeIssuer
) -> None:
    token = issuer.token(sub=KNOWN_USER)
    assert post_events(client, token).status_code == 202
    assert post_events(client, token, f"/v1/users/{KNOWN_USER}/events").status_code == 202
    assert [event.user_id for event in world.published()] == [KNOWN_USER, KNOWN_USER]
    assert_problem(post_events(client, token, "/v1/users/someone-else/events"), 403)


def test_no_token_is_a_401_with_a_bare_challenge(client: TestClient) -> None:
    missing = post_events(client, None)
    assert_problem(missing, 401)
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="philomath"'


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"lifetime_s": -120}, "expired"),  # past the 30 s leeway
        ({"aud": "another-app"}, "another audience"),
        ({"aud": None}, "another audience"),
        ({"iss": "https://evil.example/pool"}, "another issuer"),
        ({"exp": None}, "lacks a required claim"),
        ({"sub": None}, "no sub claim"),
        ({"nbf": 4_102_444_800}, "not valid yet"),
    ],
)
def test_a_token_with_wrong_claims_is_a_401(
    client: TestClient, issuer: FakeIssuer, claims: dict[str, Any], reason: str
) -> None:
    assert_unauthorized(post_events(client, issuer.token(**claims)), reason)


def test_expiry_allows_a_little_clock_skew(client: TestClient, issuer: FakeIssuer) -> None:
    assert post_events(client, issuer.token(lifetime_s=-5)).status_code == 202


def test_a_forged_token_is_a_401(client: TestClient, issuer: FakeIssuer) -> None:
    forged = issuer.token("k1", key=ec.generate_private_key(ec.SECP256R1()))
    assert_unauthorized(post_events(client, forged), "signature does not verify")


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_unsigned_and_shared_secret_tokens_are_refused(
    client: TestClient, issuer: FakeIssuer, algorithm: str
) -> None:
    # HS256 keyed with the issuer's public key: the classic algorithm-confusion forgery.
    public = issuer.fetch()["keys"][0]["x"]
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": KNOWN_USER, "exp": 4_102_444_800}
    secret = public if algorithm == "HS256" else ""
    token = jwt.encode(claims, secret, algorithm=algorithm, headers={"kid": "k1"})
    assert_problem(post_events(client, token), 401)


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", ""])
def test_garbage_is_a_401(client: TestClient, token: str) -> None:
    assert_problem(post_events(client, token), 401)


def test_a_token_without_the_routes_scope_is_a_403(client: TestClient, issuer: FakeIssuer) -> None:
    token = issuer.token(scope=READ)
    response = post_events(client, token)
    assert_problem(response, 403)
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and f'scope="{EVENTS}"' in challenge
    reads = client.get("/v1/users/me/recommendations", headers=bearer(issuer.token(scope=EVENTS)))
    assert_problem(reads, 403)
    assert f'scope="{READ}"' in reads.headers["WWW-Authenticate"]


def test_cognito_access_tokens_carry_client_id_and_prefixed_scopes(
    world: World, issuer: FakeIssuer, jwks_clock: FakeClock
) -> None:
    token = issuer.token(aud=None, client_id=AUDIENCE, scope="philomath/events:write")
    with jwt_app(world, issuer, jwks_clock, scope_prefix="philomath/") as cognito:
        assert post_events(cognito, token).status_code == 202


def test_the_listener_comes_from_the_configured_claim(
    world: World, issuer: FakeIssuer, jwks_clock: FakeClock
) -> None:
    token = issuer.token(sub="opaque-subject", username=KNOWN_USER)
    with jwt_app(world, issuer, jwks_clock, listener_claim="username") as by_name:
        assert post_events(by_name, token, f"/v1/users/{KNOWN_USER}/events").status_code == 202
    assert [event.user_id for event in world.published()] == [KNOWN_USER]


# -- the issuer's keys ---------------------------------------------------------------------


def test_a_rotated_key_is_fetched_once_and_accepted(
    client: TestClient, issuer: FakeIssuer, jwks_clock: FakeClock
) -> None:
    assert post_events(client, issuer.token("k1")).status_code == 202
    assert issuer.fetches == 1
    jwks_clock.advance(600)  # rotations come long after the last fetch
    issuer.publish(issuer.new_key("k2"))  # the issuer rotates: k2 signs from now on
    assert post_events(client, issuer.token("k2")).status_code == 202
    assert post_events(client, issuer.token("k2")).status_code == 202
    assert post_events(client, issuer.token("k1")).status_code == 202  # still published
    assert issuer.fetches == 2


def test_unknown_kids_refetch_at_most_once_a_minute(
    client: TestClient, issuer: FakeIssuer, jwks_clock: FakeClock
) -> None:
    assert post_events(client, issuer.token("k1")).status_code == 202
    jwks_clock.advance(61)
    issuer.new_key("k3")  # made, not published yet
    for _ in range(5):
        assert_unauthorized(post_events(client, issuer.token("k3")), "signing key is unknown")
    assert issuer.fetches == 2  # one refetch for the first unknown kid, none after
    issuer.publish("k3")
    assert_unauthorized(post_events(client, issuer.token("k3")), "signing key is unknown")
    jwks_clock.advance(61)
    assert post_events(client, issuer.token("k3")).status_code == 202
    assert issuer.fetches == 3


def test_cached_keys_outlive_an_issuer_outage(
    client: TestClient, issuer: FakeIssuer, jwks_clock: FakeClock
) -> None:
    assert post_events(client, issuer.token()).status_code == 202
    issuer.down = True
    jwks_clock.advance(7200)  # stale: a refresh is tried, fails, the cached keys serve
    assert post_events(client, issuer.token()).status_code == 202


def test_no_keys_at_all_is_a_503(client: TestClient, issuer: FakeIssuer) -> None:
    issuer.down = True
    assert_problem(post_events(client, issuer.token()), 503)


def test_a_jwks_keeps_only_asymmetric_signing_keys() -> None:
    from skill.api.security.jwks import parse_jwks

    issuer = FakeIssuer()
    good = dict(issuer.fetch()["keys"][0])
    document = {
        "keys": [
            good,
            {**good, "kid": "enc", "use": "enc"},
            {"kty": "oct", "kid": "shared", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "broken"},
            "not a key",
        ]
    }
    assert set(parse_jwks(document)) == {"k1"}


# -- rate limits -------------------------------------------------------------------------------


def test_a_listener_over_its_rate_gets_429_with_retry_after(world: World) -> None:
    clock = FakeClock()
    limiter = InProcessRateLimiter(rate_per_s=0.5, burst=2, clock=clock)
    authenticator = TokenAuthenticator({KNOWN_TOKEN: KNOWN_USER, "other": "usr-2"})
    app = create_app(
        world.listening, world.parser, world.skill,
        authenticator=authenticator, rate_limiter=limiter,
    )  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        assert [post_events(client, KNOWN_TOKEN).status_code for _ in range(2)] == [202, 202]
        refused = post_events(client, KNOWN_TOKEN)
        assert_problem(refused, 429)
        assert refused.headers["Retry-After"] == "2"  # one request at 0.5/s
        assert post_events(client, "other").status_code == 202  # buckets are per listener
        clock.advance(2)
        assert post_events(client, KNOWN_TOKEN).status_code == 202
    assert len(world.published()) == 4


def test_openapi_documents_auth_problems_and_429(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operations = [
        operation
        for path, item in document["paths"].items()
        if path.startswith("/v1/")
        for operation in item.values()
    ]
    assert len(operations) == 12  # 8, and the routines API's 4
    for operation in operations:
        responses = operation["responses"]
        assert {"401", "403", "429", "503"} <= set(responses)
        assert "application/problem+json" in responses["429"]["content"]
        assert "Retry-After" in responses["429"]["headers"]
