"""Schemathesis over the REST API's OpenAPI document: requests generated from the schema,
with a valid token, never get a 5xx, and every answer matches the documented status codes,
content types and schemas (problems included)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import MagicMock

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from listening.erasure import Erasure
from skill.api.security.auth import TokenAuthenticator
from skill.http_app import create_app
from tests.fakes import KNOWN_USER, World
from tests.integration.api_client import KNOWN_TOKEN, bearer


class CurrentApp:
    """An ASGI app that forwards to the one the fixture built for the running test: the
    schema is loaded when the module is imported (pytest 9 breaks schemathesis' lazy
    fixture schemas), the world it serves is made per test."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


# The OpenAPI document does not depend on the backends, so placeholders serve for loading.
CURRENT = CurrentApp(create_app(MagicMock(), MagicMock(), MagicMock(), erasure=MagicMock()))
schema = schemathesis.openapi.from_asgi("/openapi.json", CURRENT)


@pytest.fixture(autouse=True)
def serve_world(world: World) -> Iterator[None]:
    CURRENT.app = create_app(
        world.listening,
        world.parser,
        world.skill,
        authenticator=TokenAuthenticator({KNOWN_TOKEN: KNOWN_USER}),
        media_signer=world.stream_urls.signer,
        health_checks={"catalog": world.catalog.count},
        erasure=Erasure([("profiles", world.profiles), ("queues", world.queues)]),
    )
    yield


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_answers_with_a_5xx_or_off_schema(case: Any) -> None:
    # Mostly the token's own listener, so requests get past authorization to the routes.
    if case.path_parameters and case.path_parameters.get("user_id") not in (None, "me"):
        case.path_parameters["user_id"] = KNOWN_USER
    case.call_and_validate(headers=bearer(KNOWN_TOKEN), checks=CHECKS)
