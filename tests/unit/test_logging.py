"""JSON log lines carry the request id and the fields passed with ``extra``; a terminal
outside AWS gets one short text line instead, written around progress bars."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from philomath.logging_config import JsonFormatter, choose_format, configure_logging
from skill.request_context import bound_request_id


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)


@pytest.fixture
def stream(restore_root: None) -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    configure_logging("INFO", "json", stream=buffer)
    yield buffer


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


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "environ", "chosen"),
    [
        (Terminal(), {}, "text"),
        (io.StringIO(), {}, "json"),  # a pipe or a file
        (Terminal(), {"AWS_LAMBDA_FUNCTION_NAME": "philomath-dev-skill"}, "json"),
        (Terminal(), {"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE"}, "json"),
    ],
)
def test_auto_is_text_only_on_a_terminal_outside_aws(
    stream: io.StringIO, environ: dict[str, str], chosen: str
) -> None:
    assert choose_format("auto", stream, environ) == chosen


def test_an_explicit_format_wins() -> None:
    aws = {"AWS_LAMBDA_FUNCTION_NAME": "f"}
    assert choose_format("text", io.StringIO(), aws) == "text"
    assert choose_format("json", Terminal(), {}) == "json"


def test_a_terminal_gets_one_short_text_line(
    monkeypatch: pytest.MonkeyPatch, restore_root: None
) -> None:
    for name in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV"):
        monkeypatch.delenv(name, raising=False)
    terminal = Terminal()
    assert configure_logging("INFO", "auto", stream=terminal) == "text"
    with bound_request_id("req-42"):
        logging.getLogger("recommender.offline.pipeline").warning("slow", extra={"step": "etl"})
    (line,) = terminal.getvalue().splitlines()
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d WARNING +offline\.pipeline  slow  request_id=req-42  step=etl", line
    )


def test_log_lines_do_not_tear_a_progress_bar(restore_root: None) -> None:
    from tqdm import tqdm

    screen = Terminal()
    configure_logging("INFO", "text", stream=screen)
    with tqdm(total=3, desc="etl", file=screen, mininterval=0, ascii=True) as bar:
        bar.update(1)
        logging.getLogger("recommender.data.etl.run").info("quarantined 2 rows")
        bar.update(1)
    # tqdm.write blanked the bar's line and wrote the log line whole over it; the bar came back
    # on the next line.
    (logged,) = [line for line in screen.getvalue().split("\n") if "quarantined" in line]
    *_, blanked, visible = logged.split("\r")
    assert not blanked.strip()
    assert re.fullmatch(r"\d\d:\d\d:\d\d INFO +etl\.run  quarantined 2 rows", visible)
    assert "etl:  67%" in screen.getvalue().split(visible)[1]


def test_without_an_open_bar_a_line_is_written_plainly(restore_root: None) -> None:
    from tqdm import tqdm

    screen = Terminal()
    configure_logging("INFO", "text", stream=screen)
    with tqdm(total=1, file=screen, mininterval=0, ascii=True) as bar:
        bar.update(1)
    screen.truncate(0)
    screen.seek(0)
    logging.getLogger("skill.alexa.interceptors").info("alexa turn")
    assert "\r" not in screen.getvalue()  # no bar to lift off the screen
    assert screen.getvalue().endswith("alexa turn\n")


@pytest.mark.parametrize(
    "created",
    [
        0.0,
        1.5,
        1_700_000_000.0005,
        1_700_000_000.0004999,
        1_700_000_000.9995,
        1_765_141_503.9999996,
    ],
)
def test_json_timestamps_are_what_datetime_writes(created: float) -> None:
    formatter = JsonFormatter()
    for at in (created, created + 0.25, created):  # the cached second is reused and replaced
        expected = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
        assert formatter._timestamp(at) == expected
