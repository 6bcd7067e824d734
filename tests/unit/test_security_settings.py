"""The API's security from settings (``philomath.security``): the authenticator chosen by
``PHILOMATH_AUTH``, static tokens refused in AWS, rate limiters by URL, the media-signing key
never made up where instances must share it, and secrets read from Secrets Manager (moto)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from pydantic import ValidationError

from philomath.security import build_security
from philomath.settings import Settings, settings_problems
from philomath.wiring import ConfigurationError
from skill.api.security.auth import TokenAuthenticator
from skill.api.security.jwt_auth import JwtAuthenticator
from skill.api.security.rate_limit import InProcessRateLimiter
from skill.api.security.redis_rate_limit import RedisRateLimiter
from tests.oidc_issuer import AUDIENCE, ISSUER, FakeIssuer

KEY = "k" * 32
IN_AWS = {"AWS_LAMBDA_FUNCTION_NAME": "philomath-skill"}
TOKENS = '{"demo-token": "usr-0000001"}'


def settings(**values: Any) -> Settings:
    return Settings.model_validate({"media_signing_key": KEY, **values})


def no_client() -> Any:
    raise AssertionError("no secret reference, so no Secrets Manager client")


def problems(monkeypatch: pytest.MonkeyPatch, **env: str) -> list[str]:
    for name, value in env.items():
        monkeypatch.setenv(f"PHILOMATH_{name.upper()}", value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    return settings_problems(refused.value)


# -- settings --------------------------------------------------------------------------------


def test_jwt_settings_are_checked_one_line_each(monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(monkeypatch, auth="jwt") == [
        "PHILOMATH_JWT_ISSUER: required with PHILOMATH_AUTH=jwt",
        "PHILOMATH_JWT_AUDIENCE: required with PHILOMATH_AUTH=jwt",
    ]
    assert problems(
        monkeypatch, jwt_issuer="http://issuer.example", jwt_audience="app",
        jwks_url="ftp://x", auth="oauth",
    ) == [
        "PHILOMATH_AUTH: Input should be 'static' or 'jwt'",
        "PHILOMATH_JWT_ISSUER: must be an https URL",
        "PHILOMATH_JWKS_URL: must be an https URL",
    ]  # fmt: skip


def test_rate_limit_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert problems(monkeypatch, rate_limit_per_s="-1", rate_limit_burst="0") == [
        "PHILOMATH_RATE_LIMIT_PER_S: Input should be greater than or equal to 0",
        "PHILOMATH_RATE_LIMIT_BURST: Input should be greater than or equal to 1",
    ]


def test_secret_references_pass_settings_and_are_checked_once_read() -> None:
    reference = "secretsmanager://philomath/media"
    assert settings(media_signing_key=reference, api_tokens=reference).auth == "static"


# -- the authenticator ---------------------------------------------------------------------


def test_static_tokens_serve_the_local_demo() -> None:
    security = build_security(settings(api_tokens=TOKENS), no_client, environ={})
    assert isinstance(security.authenticator, TokenAuthenticator)
    assert security.authenticator.listener("demo-token") == "usr-0000001"


def test_static_tokens_are_refused_in_aws_unless_allowed() -> None:
    with pytest.raises(ConfigurationError) as refused:
        build_security(settings(api_tokens=TOKENS), no_client, environ=IN_AWS)
    assert str(refused.value).startswith("PHILOMATH_API_TOKENS: static tokens never expire")
    assert "\n" not in str(refused.value) and "demo-token" not in str(refused.value)
    allowed = settings(api_tokens=TOKENS, allow_static_tokens_in_aws=True)
    assert build_security(allowed, no_client, environ=IN_AWS).authenticator
    # No tokens at all (the skill's Lambda) refuses every client: nothing to refuse.
    assert build_security(settings(), no_client, environ=IN_AWS).authenticator


def test_jwt_settings_build_a_jwt_authenticator() -> None:
    issuer = FakeIssuer()
    chosen = settings(auth="jwt", jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    security = build_security(chosen, no_client, environ=IN_AWS, jwks_fetcher=issuer.fetch)
    assert isinstance(security.authenticator, JwtAuthenticator)
    principal = security.authenticator.authenticate(issuer.token(sub="usr-7"))
    assert principal.listener == "usr-7" and principal.allows("play")


# -- rate limits -----------------------------------------------------------------------------


def test_rate_limiters_by_url(redis_url: str) -> None:
    memory = build_security(settings(), no_client, environ={}).rate_limiter
    assert isinstance(memory, InProcessRateLimiter)
    shared = build_security(settings(rate_limit_url=redis_url), no_client, environ={})
    assert isinstance(shared.rate_limiter, RedisRateLimiter)
    assert shared.rate_limiter.acquire("listener:x") == 0.0
    shared.close()
    assert build_security(settings(rate_limit_per_s=0), no_client, environ={}).rate_limiter is None
    with pytest.raises(ConfigurationError, match="^PHILOMATH_RATE_LIMIT_URL: unknown scheme"):
        build_security(settings(rate_limit_url="memcached://x"), no_client, environ={})


# -- the media-signing key -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "where"),
    [(IN_AWS, "in AWS"), ({"WEB_CONCURRENCY": "4"}, "with several workers")],
)
def test_an_unset_media_key_is_an_error_where_instances_share_urls(
    environ: dict[str, str], where: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        build_security(settings(media_signing_key=None), no_client, environ=environ)
    message = str(refused.value)
    assert message.startswith(f"PHILOMATH_MEDIA_SIGNING_KEY: unset {where}") and "\n" not in message


def test_the_local_demo_makes_up_a_media_key_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        security = build_security(settings(media_signing_key=None), no_client, environ={})
    assert len(security.media_key) == 32
    assert "PHILOMATH_MEDIA_SIGNING_KEY is unset" in caplog.text


def test_a_media_key_from_the_environment() -> None:
    assert build_security(settings(), no_client, environ=IN_AWS).media_key == KEY.encode()


# -- Secrets Manager -------------------------------------------------------------------------


class CountingClient:
    """A real boto3 Secrets Manager client (on moto) that counts reads."""

    def __init__(self) -> None:
        self.client = boto3.client("secretsmanager", region_name="us-east-1")
        self.reads = 0

    def get_secret_value(self, **kwargs: Any) -> Any:
        self.reads += 1
        return self.client.get_secret_value(**kwargs)


@pytest.fixture
def secrets(aws_env: None) -> tuple[CountingClient, Callable[[], Any]]:
    client = CountingClient()
    made: list[int] = []

    def factory() -> Any:
        made.append(1)
        assert len(made) == 1, "one client, made once"
        return client

    return client, factory


def test_keys_come_from_secrets_manager_by_name_arn_and_json_key(
    secrets: tuple[CountingClient, Callable[[], Any]],
) -> None:
    client, factory = secrets
    arn = client.client.create_secret(Name="philomath/media", SecretString=KEY)["ARN"]
    bundle = {"tokens": TOKENS, "audience": AUDIENCE}
    client.client.create_secret(Name="philomath/api", SecretString=json.dumps(bundle))
    by_name = settings(
        media_signing_key="secretsmanager://philomath/media",
        api_tokens="secretsmanager://philomath/api#tokens",
    )
    security = build_security(
        by_name.model_copy(update={"allow_static_tokens_in_aws": True}), factory, environ=IN_AWS
    )
    assert security.media_key == KEY.encode()
    assert isinstance(security.authenticator, TokenAuthenticator)
    assert security.authenticator.listener("demo-token") == "usr-0000001"
    by_arn = build_security(settings(media_signing_key=arn), lambda: client, environ=IN_AWS)
    assert by_arn.media_key == KEY.encode()


def test_each_secret_is_read_once(secrets: tuple[CountingClient, Callable[[], Any]]) -> None:
    client, factory = secrets
    client.client.create_secret(Name="philomath/api", SecretString=json.dumps(
        {"tokens": TOKENS, "audience": AUDIENCE}))  # fmt: skip
    chosen = settings(
        auth="jwt", jwt_issuer=ISSUER, jwt_audience="secretsmanager://philomath/api#audience",
        api_tokens="secretsmanager://philomath/api#tokens",
    )  # fmt: skip
    build_security(chosen, factory, environ={}, jwks_fetcher=FakeIssuer().fetch)
    assert client.reads == 1


@pytest.mark.parametrize(
    ("stored", "reference", "message"),
    [
        (None, "secretsmanager://nope", "cannot read secret nope (ResourceNotFoundException)"),
        ("short", "secretsmanager://media", "must be at least 16 bytes"),
        (
            "not json",
            "secretsmanager://media#key",
            "the secret is not a JSON object with a string 'key'",
        ),
    ],
)
def test_a_secret_that_cannot_serve_is_one_line_naming_the_variable(
    secrets: tuple[CountingClient, Callable[[], Any]],
    stored: str | None,
    reference: str,
    message: str,
) -> None:
    client, factory = secrets
    if stored is not None:
        client.client.create_secret(Name="media", SecretString=stored)
    with pytest.raises(ConfigurationError) as refused:
        build_security(settings(media_signing_key=reference), factory, environ={})
    assert str(refused.value) == f"PHILOMATH_MEDIA_SIGNING_KEY: {message}"
    assert stored is None or stored not in str(refused.value)


def test_the_catalog_password_comes_from_a_secret_and_stays_out_of_the_url(
    secrets: tuple[CountingClient, Callable[[], Any]], postgres_schema: tuple[str, str]
) -> None:
    """``PHILOMATH_CATALOG_PASSWORD`` naming a JSON secret's key: the catalog connects with
    it (PostgreSQL here trusts every local login, so connecting proves the DSN parses)."""
    from philomath.adapters import build_catalog
    from philomath.secret_refs import Secrets
    from playback.postgres_catalog import PostgresTrackCatalog

    client, factory = secrets
    arn = client.client.create_secret(
        Name="philomath/db", SecretString=json.dumps({"password": "s3cr3t-pw"})
    )["ARN"]
    dsn, schema = postgres_schema
    chosen = Settings.model_validate(
        {"catalog_url": f"{dsn}?schema={schema}", "catalog_password": f"{arn}#password"}
    )
    catalog = build_catalog(chosen, Secrets(chosen, factory))
    assert isinstance(catalog, PostgresTrackCatalog)
    dsn = catalog._pool._dsn  # noqa: SLF001  # what it connects with
    assert "password=s3cr3t-pw" in dsn and "s3cr3t" not in chosen.catalog_url
    catalog.ensure_schema()
    assert catalog.count() == 0 and client.reads == 1
    catalog.close()
