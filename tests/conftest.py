"""Shared fixtures: real PostgreSQL and Redis on 127.0.0.1, fresh namespaces per test, and
the small world of the skill and HTTP tests.

Where a service is down the tests that need it are skipped locally with the reason, but
fail when ``PHILOMATH_REQUIRE_SERVICES=1`` (set by ``.ci/run``): CI never skips them.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import World, build_world
from tests.services import service_missing

# `pipeline run` would fine-tune the NLU model (minutes): tests that need one train a tiny one.
os.environ.setdefault("PHILOMATH_NLU_TRAIN", "false")

POSTGRES_DSN = os.environ.get(
    "PHILOMATH_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PHILOMATH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    """Entry points configure the root logger (handlers, level); a test that runs one must
    not change what the next test's logs do."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    """(dsn, schema): a fresh schema in the test database, dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        conn = psycopg.connect(POSTGRES_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        service_missing(f"PostgreSQL is not reachable: {exc}")
    with conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield POSTGRES_DSN, schema
        finally:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """URL of a Redis database flushed before and after the test."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        service_missing(f"Redis is not reachable: {exc}")
    try:
        yield REDIS_URL
    finally:
        client.flushdb()
        client.close()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's in-process AWS with fake credentials; nothing leaves the machine."""
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """``fakes.build_world`` in ``tmp_path``, closed afterwards."""
    built = build_world(tmp_path)
    yield built
    built.close()
