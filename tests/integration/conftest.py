"""The HTTP app on the shared small world, with API tokens for two listeners."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

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
