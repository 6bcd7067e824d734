"""ParsedRequests as JSON: one utterance, or a stream of them one a line.

``parse_lines`` answers line for line, in order, with one parser (its model loads at most
once). A line that is JSON with a "text" field is read as that text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from nlu.evaluate import TextParser


def parsed_json(parser: TextParser, text: str, indent: int | None = None) -> str:
    """The ParsedRequest of ``text`` as JSON."""
    parsed = parser.parse(text)
    return json.dumps(parsed.model_dump(mode="json"), ensure_ascii=False, indent=indent)


def parse_lines(parser: TextParser, lines: Iterable[str], out: TextIO) -> None:
    """One JSON line in ``out`` per line read, flushed as it goes (a pipe waits for it)."""
    for line in lines:
        out.write(parsed_json(parser, _text_of(line.rstrip("\n"))) + "\n")
        out.flush()


def _text_of(line: str) -> str:
    if line.startswith("{"):
        try:
            value = json.loads(line)
        except ValueError:
            return line
        text = value.get("text") if isinstance(value, dict) else None
        if isinstance(text, str):
            return text
    return line
