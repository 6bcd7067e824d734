"""Over-nested JSON on every entry (5,000 nested objects, 3,000 nested lists, 30 KB or less)
gets the entry's own error for invalid input, never a RecursionError: a 400 problem from
``POST /alexa`` and every REST body, an invalid envelope from the Lambda entry. The CLI's
``philomath alexa`` is in test_cli.py."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from skill.alexa import InvalidEnvelope, envelopes
from skill.api.security.depth_guard import MAX_BODY_BYTES
from skill.lambda_entry import LambdaSkill, create_handler
from tests.fakes import KNOWN_USER, World
from tests.integration.api_client import KNOWN_TOKEN, assert_problem, bearer

DEEP_OBJECTS = '{"a":' * 5_000 + "1" + "}" * 5_000
DEEP_LISTS = "[" * 3_000 + "]" * 3_000
DEEP = pytest.mark.parametrize("body", [DEEP_OBJECTS, DEEP_LISTS], ids=["objects", "lists"])


def in_an_envelope(body: str) -> str:
    """A valid envelope whose session attributes hold ``body``."""
    envelope = envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, KNOWN_USER)
    envelope["session"]["attributes"] = {"x": "__DEEP__"}
    return json.dumps(envelope).replace('"__DEEP__"', body)


def deep_value(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value} if kind == "objects" else [value]
    return value


@DEEP
@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "in-an-envelope"])
def test_alexa_answers_a_400_problem(
    client: TestClient, body: str, wrapped: bool, caplog: pytest.LogCaptureFixture
) -> None:
    raw = in_an_envelope(body) if wrapped else body
    assert len(raw) < 32 * 1024
    with caplog.at_level(logging.WARNING):
        response = client.post("/alexa", content=raw)
    problem = assert_problem(response, 400)
    assert "nested" in str(problem["title"]).lower()
    assert "RecursionError" not in caplog.text


def test_an_envelope_nested_past_the_limit_but_parseable_is_a_400_problem(
    client: TestClient,
) -> None:
    """Deeper than MAX_JSON_DEPTH yet shallow enough for the parser: the depth check after
    parsing refuses it, with the same answer as a body the parser refuses."""
    raw = in_an_envelope("[" * 100 + "]" * 100)
    problem = assert_problem(client.post("/alexa", content=raw), 400)
    assert "nested" in str(problem["title"]).lower()


@DEEP
@pytest.mark.parametrize(
    "path",
    ["/v1/users/me/playlists", "/v1/users/me/play", "/v1/users/me/events"],
)
def test_every_rest_body_gets_a_400_problem(
    client: TestClient, world: World, body: str, path: str
) -> None:
    response = client.post(
        path, content=body, headers={**bearer(KNOWN_TOKEN), "content-type": "application/json"}
    )
    assert_problem(response, 400)
    assert response.headers["X-Request-Id"]
    assert world.published() == []


def test_an_oversized_rest_body_gets_a_413_problem(client: TestClient, world: World) -> None:
    padding = "x" * (MAX_BODY_BYTES + 1)
    body = json.dumps({"events": [{"kind": "started", "track_id": "t-pop-1", "pad": padding}]})
    response = client.post(
        "/v1/users/me/events",
        content=body,
        headers={**bearer(KNOWN_TOKEN), "content-type": "application/json"},
    )
    assert_problem(response, 413)
    assert world.published() == []


def test_a_body_within_the_limit_reaches_the_route(client: TestClient) -> None:
    events = {"events": [{"kind": "started", "track_id": "t-pop-1"}]}
    response = client.post("/v1/users/me/events", json=events, headers=bearer(KNOWN_TOKEN))
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("kind", ["objects", "lists"])
def test_the_lambda_entry_refuses_an_invalid_envelope(world: World, kind: str) -> None:
    handler = create_handler(
        lambda: LambdaSkill(world.skill, frozenset([envelopes.APPLICATION_ID]))
    )
    envelope = envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, KNOWN_USER)
    envelope["session"]["attributes"] = {
        "x": deep_value(5_000 if kind == "objects" else 3_000, kind)
    }
    with pytest.raises(InvalidEnvelope, match="nested deeper than 64 levels"):
        handler(envelope, None)
