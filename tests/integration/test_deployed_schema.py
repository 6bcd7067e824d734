"""Schema creation is a deployment step: with ``PHILOMATH_ENSURE_SCHEMA=false`` (the template's
setting for every deployed function) building the online path creates no table or stream;
locally (the default) it still does, and ``philomath schema ensure`` does it on demand."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from philomath.cli import main
from philomath.settings import Settings
from philomath.wiring import build_online
from playback.sqlite_catalog import SqliteTrackCatalog

TABLES = [
    "philomath-t-device-queues",
    "philomath-t-profiles",
    "philomath-t-profiles-feedback",
    "philomath-t-recommendations",
]


@pytest.fixture
def aws_urls(aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "PHILOMATH_DATA_DIR": str(tmp_path),
        "PHILOMATH_STORE_URL": "dynamodb://philomath-t-recommendations",
        "PHILOMATH_PROFILES_URL": "dynamodb://philomath-t-profiles",
        "PHILOMATH_QUEUE_URL": "dynamodb://philomath-t-device-queues",
        "PHILOMATH_EVENTS_URL": "kinesis://philomath-t-events",
        "PHILOMATH_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)


def created() -> tuple[list[str], list[str]]:
    tables = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
    streams = boto3.client("kinesis", region_name="us-east-1").list_streams()["StreamNames"]
    return sorted(tables), streams


def test_a_deployed_cold_start_creates_nothing(
    aws_urls: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_ENSURE_SCHEMA", "false")
    settings = Settings()
    # The catalog's tables exist, as `philomath schema ensure` leaves them at deployment.
    SqliteTrackCatalog(settings.data_dir / "catalog.db").ensure_schema()
    build_online(settings).close()
    assert created() == ([], [])


def test_locally_the_online_path_creates_what_is_missing(aws_urls: None) -> None:
    assert Settings().ensure_schema  # the default: `make run` needs no deployment step
    build_online(Settings()).close()
    assert created() == (TABLES, ["philomath-t-events"])


def test_schema_ensure_creates_the_schema_whatever_the_setting(
    aws_urls: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_ENSURE_SCHEMA", "false")
    result = CliRunner().invoke(main, ["schema", "ensure"])
    assert result.exit_code == 0, result.output
    assert created() == (TABLES, ["philomath-t-events"])
    # Idempotent: a second deployment changes nothing and does not fail.
    assert CliRunner().invoke(main, ["schema", "ensure"]).exit_code == 0
