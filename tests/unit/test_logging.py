"""JSON log lines carry the request id and the fields passed with ``extra``."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from philomath.logging_config import configure_logging
from skill.request_context import bound_request_id


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("INFO", "json", stream=buffer)
    yield buffer
    root.handlers[:], level = saved
    root.setLevel(level)


def test_line_has_request_id_and_extras(stream: io.StringIO) -> None:
    with bound_request_id("req-42"):
        logging.getLogger("philomath.test").info("played", extra={"user": "ab12", "n": 3})
    logging.getLogger("philomath.test").info("outside")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["request_id"] == "req-42"
    assert inside["user"] == "ab12" and inside["n"] == 3 and inside["msg"] == "played"
    assert "request_id" not in outside


def test_exceptions_are_logged_with_their_traceback(stream: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("philomath.test").exception("failed")
    line = json.loads(stream.getvalue())
    assert line["level"] == "ERROR" and "RuntimeError: boom" in line["exc"]
