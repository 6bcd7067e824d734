"""Fixtures shared by the contract suites: adapters closed after each test, DynamoDB clients
on moto (a working one and one whose endpoint refuses connections), and SQLite paths that
cannot be used."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest


class _Closable(Protocol):
    def close(self) -> None: ...


Adapter = TypeVar("Adapter", bound=_Closable)


class AutoClosed(Protocol):
    def __call__(self, build: Callable[[], Adapter]) -> Callable[[], Adapter]: ...


@pytest.fixture
def auto_closed(request: pytest.FixtureRequest) -> AutoClosed:
    """``auto_closed(build)``: a factory calling ``build`` whose adapters are all closed when
    the test ends, before any fixture is torn down (the storage under them included)."""

    def wrap(build: Callable[[], Adapter]) -> Callable[[], Adapter]:
        def factory() -> Adapter:
            adapter = build()
            # The test's own finalizers run first: fixtures registered theirs at setup.
            request.node.addfinalizer(adapter.close)
            return adapter

        return factory

    return wrap


def _dynamodb_client(**options: Any) -> Any:
    import boto3

    return boto3.client("dynamodb", region_name="us-east-1", **options)


@pytest.fixture
def dynamodb(aws_env: None) -> Any:
    """A DynamoDB client on moto, with no tables yet, its calls atomic as on the real one."""
    from tests.fakes import AtomicCalls

    return AtomicCalls(_dynamodb_client())


@pytest.fixture
def unreachable_dynamodb(aws_env: None) -> Any:
    """A DynamoDB client whose endpoint refuses connections, set to give up at once."""
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=1, retries={"total_max_attempts": 1})
    return _dynamodb_client(endpoint_url="http://127.0.0.1:1", config=config)


@pytest.fixture(params=["in-a-missing-directory", "not-a-database"])
def unusable_sqlite_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A path no SQLite adapter can use: in a directory that does not exist, or a file that
    is not a database. An adapter on it fails at first use, not when it is constructed."""
    if request.param == "in-a-missing-directory":
        return tmp_path / "no" / "such" / "dir" / "data.db"
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a SQLite database\n" * 200)
    return path
