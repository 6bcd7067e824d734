"""The HTTP app on the shared small world, with API tokens for two listeners; a tiny offline
pipeline output, run once per session and copied for each module that serves it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from philomath.offline import run_offline
from philomath.settings import Settings
from skill.api.security.auth import TokenAuthenticator
from skill.http_app import create_app
from tests.fakes import KNOWN_USER, World
from tests.integration.api_client import KNOWN_TOKEN, NEW_TOKEN, NEW_USER


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    def catalog_check() -> None:
        world.catalog.count()

    app = create_app(
        world.listening,
        world.parser,
        world.skill,
        authenticator=TokenAuthenticator({KNOWN_TOKEN: KNOWN_USER, NEW_TOKEN: NEW_USER}),
        media_signer=world.stream_urls.signer,
        health_checks={"catalog": catalog_check},
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def tiny_pipeline_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("tiny-pipeline")
    settings = Settings(data_dir=data_dir, users=30, tracks=300, events=3_000, log_level="WARNING")
    run_offline(settings, progress=False)
    return data_dir


@pytest.fixture(scope="module")
def tiny_pipeline(tiny_pipeline_output: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir of this module's own holding the tiny pipeline's output: what a module's
    requests write (queues, events, spool) stays out of the others'."""
    copy = tmp_path_factory.mktemp("tiny-pipeline-copy") / "var"
    shutil.copytree(tiny_pipeline_output, copy)
    return copy
