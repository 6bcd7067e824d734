"""Whatever arrives at POST /alexa, the client gets a valid Alexa response or a documented 4xx
problem: never a 5xx, never a traceback. Bodies nest up to 6,000 levels deep (beyond Python's
recursion limit): past ``MAX_JSON_DEPTH`` they get a 400 like any other invalid envelope."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.alexa import envelopes
from skill.http_app import PROBLEM_JSON, create_app
from skill.json_depth import MAX_JSON_DEPTH
from tests.fakes import KNOWN_USER, build_world

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def depth_of(value: Any) -> int:
    if isinstance(value, dict | list):
        children = value.values() if isinstance(value, dict) else value
        return 1 + max(map(depth_of, children), default=0)
    return 0


@st.composite
def deep_json(draw: st.DrawFn) -> tuple[str, int]:
    """(raw JSON, its depth): up to 6,000 levels of objects and lists in a drawn pattern, with
    keys and leaves that hold brackets and escaped quotes."""
    depth = draw(st.integers(min_value=1, max_value=6_000))
    pattern = draw(st.lists(st.sampled_from(["{", "["]), min_size=1, max_size=4))
    key = draw(st.sampled_from(['"a"', '"[{"', '"\\"{"', '"\\\\"']))
    leaf = draw(st.sampled_from(["1", "null", '"]}"', "{}", "[]"]))
    kinds = [pattern[level % len(pattern)] for level in range(depth)]
    opened = "".join("{" + key + ":" if kind == "{" else "[" for kind in kinds)
    closed = "".join("}" if kind == "{" else "]" for kind in reversed(kinds))
    extra = 1 if leaf in ("{}", "[]") else 0
    return opened + leaf + closed, depth + extra


# Raw JSON bodies with their depth: ordinary values, and nesting as deep as an attacker likes.
json_texts = json_values.map(lambda value: (json.dumps(value), depth_of(value))) | deep_json()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    world = build_world(tmp_path_factory.mktemp("fuzz"))
    app = create_app(world.listening, world.parser, world.skill)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    world.close()


def _assert_answered(response: Any, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        assert response.status_code == 400, response.text
    assert response.status_code in (200, 400, 413), response.text
    if response.status_code == 200:
        body = response.json()
        assert body["version"] == "1.0" and "response" in body
    else:
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert "Traceback" not in response.text


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a JSON object, for mutating one place at a time."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((*prefix, key))
            found.extend(_paths(child, (*prefix, key)))
    return found


VALID = envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, KNOWN_USER)
VALID_PATHS = _paths(VALID)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=json_texts)
def test_any_json_body(client: TestClient, body: tuple[str, int]) -> None:
    raw, depth = body
    _assert_answered(client.post("/alexa", content=raw), depth)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(VALID_PATHS),
    replacement=json_texts,
    delete=st.booleans(),
)
def test_a_valid_envelope_with_one_part_broken(
    client: TestClient, path: tuple[Any, ...], replacement: tuple[str, int], delete: bool
) -> None:
    envelope = copy.deepcopy(VALID)
    parent = envelope
    for key in path[:-1]:
        parent = parent[key]
    raw, depth = replacement
    if delete:
        del parent[path[-1]]
        depth = 0
    else:
        parent[path[-1]] = "__REPLACEMENT__"  # spliced in as text: json.dumps would recurse
    body = json.dumps(envelope).replace('"__REPLACEMENT__"', raw)
    _assert_answered(client.post("/alexa", content=body), len(path) + depth)


@pytest.mark.parametrize("number", ["-Infinity", "NaN", "1e400"])
def test_a_number_json_cannot_hold_is_a_400_not_a_5xx(client: TestClient, number: str) -> None:
    # Found by the fuzz above: session attributes echo back, and -Infinity cannot be written.
    envelope = copy.deepcopy(VALID)
    envelope["session"]["attributes"] = {"x": "__NUMBER__"}
    body = json.dumps(envelope).replace('"__NUMBER__"', number)
    response = client.post("/alexa", content=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes(client: TestClient, raw: bytes) -> None:
    _assert_answered(client.post("/alexa", content=raw))


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    fresh = client.get("/health")
    assert len(fresh.headers["X-Request-Id"]) == 32
    echoed = client.get("/health", headers={"X-Request-Id": "from-gateway-1"})
    assert echoed.headers["X-Request-Id"] == "from-gateway-1"
