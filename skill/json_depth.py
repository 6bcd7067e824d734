"""A bound on JSON nesting, checked before anything parses or walks a body.

Python's JSON parser, encoder and every recursive walk over a parsed value recurse once per
level: a 30 KB body of 5,000 nested objects ends in a ``RecursionError``. Real bodies nest a
few levels (an Alexa envelope about eight), so every entry refuses more than
``MAX_JSON_DEPTH`` with the error it uses for any other invalid input.

``check_raw_depth`` scans raw text without parsing: one pass, no recursion, over the structural
characters only, skipping strings and their escapes. ``check_depth`` does the same for a value
someone else parsed (the Lambda runtime's event).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

MAX_JSON_DEPTH = 64

_STRUCTURAL = re.compile(r'["\\\[\]{}]')


class JsonTooDeep(ValueError):
    """JSON nested more deeply than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def check_raw_depth(raw: str | bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise ``JsonTooDeep`` when the JSON text ``raw`` opens more than ``limit`` nested
    objects or arrays. Malformed text is left to the parser; only depth is judged here."""
    if isinstance(raw, bytes):
        try:  # decoded as json.loads decodes bytes (UTF-8, -16 or -32), so both see one text
            raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
        except UnicodeDecodeError:
            return  # the parser refuses it too
    depth, in_string, escaped_at = 0, False, -1
    for match in _STRUCTURAL.finditer(raw):
        at = match.start()
        if at == escaped_at:
            continue
        char = raw[at]
        if in_string:
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
            if depth > limit:
                raise JsonTooDeep(limit)
        elif char in "}]":
            depth -= 1  # unbalanced closers are the parser's to refuse


def loads_bounded(raw: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` after ``check_raw_depth``: ``JsonTooDeep`` (a ``ValueError``, like the
    parser's own errors) instead of a ``RecursionError``."""
    check_raw_depth(raw, limit)
    return json.loads(raw)


def check_depth(value: object, limit: int = MAX_JSON_DEPTH, *, finite: bool = False) -> None:
    """Raise ``JsonTooDeep`` when a parsed JSON value nests more than ``limit`` objects or
    arrays. Iterative, so any depth is measured without recursing. With ``finite``, also
    raise ``ValueError`` for a NaN or infinite number: not JSON, yet Python's parsers accept
    ``NaN`` and ``-Infinity``, and an answer echoing one could not be written back."""
    if not isinstance(value, Mapping | list | tuple):
        if finite and isinstance(value, float) and not math.isfinite(value):
            raise ValueError("NaN and infinite numbers are not JSON")
        return
    pending: list[tuple[Any, int]] = [(value, 0)]  # containers only: leaves are checked inline
    not_finite = False  # raised once the depth is known to be fine: too deep comes first
    while pending:
        item, depth = pending.pop()
        if depth + 1 > limit:
            raise JsonTooDeep(limit)
        for child in item.values() if isinstance(item, Mapping) else item:
            kind = type(child)
            if kind is str or kind is int or kind is bool or child is None:
                continue  # most of an envelope: nothing to check
            if isinstance(child, Mapping | list | tuple):
                pending.append((child, depth + 1))
            elif finite and isinstance(child, float) and not math.isfinite(child):
                not_finite = True
    if not_finite:
        raise ValueError("NaN and infinite numbers are not JSON")
