"""The JSON depth bound: the raw scanner agrees with the parser on every value, ignores
brackets inside strings (escapes included), and refuses deep nesting without recursing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.json_depth import (
    MAX_JSON_DEPTH,
    JsonTooDeep,
    check_depth,
    check_raw_depth,
    loads_bounded,
)

# Strings full of what the scanner must not count: quotes, backslashes, brackets.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\/ aé\u2200\u7b22\U0001f3b5'), max_size=8)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(tricky_text, children, max_size=3)
    ),
    max_leaves=30,
)


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


def nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


@settings(max_examples=300, deadline=None)
@given(value=values, ascii_only=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-16"]))
def test_the_scanner_measures_what_the_parser_builds(
    value: Any, ascii_only: bool, encoding: str
) -> None:
    raw = json.dumps(value, ensure_ascii=ascii_only).encode(encoding)
    depth = depth_of(value)
    check_raw_depth(raw, limit=depth)  # exactly the depth passes
    check_depth(value, limit=depth)
    if depth > 0:
        with pytest.raises(JsonTooDeep):
            check_raw_depth(raw, limit=depth - 1)
        with pytest.raises(JsonTooDeep):
            check_depth(value, limit=depth - 1)


@pytest.mark.parametrize("raw", [nested_objects(5_000), nested_lists(3_000)])
def test_deep_nesting_is_refused_before_parsing(raw: str) -> None:
    with pytest.raises(JsonTooDeep, match=f"deeper than {MAX_JSON_DEPTH} levels"):
        loads_bounded(raw)
    with pytest.raises(JsonTooDeep):
        check_raw_depth(raw.encode("utf-16"))


def test_a_parsed_value_of_any_depth_is_measured_without_recursing() -> None:
    value: Any = 1
    for _ in range(100_000):
        value = {"a": [value]}
    with pytest.raises(JsonTooDeep):
        check_depth(value)


@pytest.mark.parametrize(
    "raw",
    [
        '{"a": "' + "[" * 500 + '"}',  # brackets in a string
        '{"a": "\\"' + "{" * 500 + '"}',  # after an escaped quote, still in the string
        '["\\\\", ' + "[" * 10 + "]" * 10 + "]",  # an escaped backslash ends nothing
        nested_lists(MAX_JSON_DEPTH),
    ],
)
def test_what_is_not_deep_passes(raw: str) -> None:
    check_raw_depth(raw)
    assert loads_bounded(raw) is not None


def test_malformed_text_is_left_to_the_parser() -> None:
    check_raw_depth("]]]}}} {{ not json")
    check_raw_depth(b"\xff\xfe\x00")
    with pytest.raises(ValueError):
        loads_bounded("]]]")


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        {"a": [1, {"b": float("inf")}]},
        [(-float("inf"),)],
        {"a": "s", "b": [1.5, float("nan")]},
    ],
)
def test_a_number_that_is_not_json_is_refused_when_asked(value: object) -> None:
    check_depth(value, 5)  # depth only
    with pytest.raises(ValueError, match="not JSON") as refused:
        check_depth(value, 5, finite=True)
    assert not isinstance(refused.value, JsonTooDeep)


def test_too_deep_is_what_a_value_both_too_deep_and_not_finite_is_refused_for() -> None:
    value = {"a": float("nan"), "b": [[[[1]]]]}
    with pytest.raises(JsonTooDeep):
        check_depth(value, 3, finite=True)
    check_depth({"a": 1.5, "b": [[["x", None, True]]]}, 4, finite=True)
