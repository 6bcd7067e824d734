"""Logging, configured once at each entry point, with the request id on every line.

Machines read JSON (one object a line); a person at a terminal reads short text lines
(``14:02:07 INFO  pipeline  etl done  request_id=ab12``). ``PHILOMATH_LOG_FORMAT=auto`` (the
default) picks text only when the stream is a terminal outside AWS, so Lambda, CloudWatch, pipes
and files always get JSON. Lines are written through ``tqdm.write`` while progress bars may be
on screen, so a log line never tears a bar. While a span is recording (``PHILOMATH_TRACE_EXPORTER``
set), its trace id is on the line too (``trace_id``), so logs and traces join up.
"""

from __future__ import annotations

import json
import logging
import math
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal, TextIO

from philomath.environment import running_in_aws
from skill.request_context import request_id

LogFormat = Literal["auto", "json", "text"]

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged too.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


# Set in every Lambda (and other AWS runtimes): their logs go to CloudWatch, which wants JSON.
def current_trace_id() -> str | None:
    """The current span's trace id (32 hex digits, as tracing back ends show it), or None."""
    trace = sys.modules.get("opentelemetry.trace")  # not imported: no span can be current
    if trace is None:
        return None
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self._second = -1
        self._prefix = ""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in _extras(record).items():
            line.setdefault(key, value)
        rid = request_id.get()
        if rid:
            line["request_id"] = rid
        trace_id = current_trace_id()
        if trace_id:
            line["trace_id"] = trace_id
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)

    def _timestamp(self, created: float) -> str:
        """ISO 8601 in UTC to the millisecond (``2026-12-07T21:05:03.123+00:00``); the part
        up to the second is written once a second, not for every line of a busy server."""
        fraction, whole = math.modf(created)
        second, micros = int(whole), round(fraction * 1e6)  # as datetime rounds it
        if micros >= 1_000_000:
            second, micros = second + 1, micros - 1_000_000
        if second != self._second:
            stamp = datetime.fromtimestamp(second, UTC).isoformat(timespec="seconds")
            self._second, self._prefix = second, stamp.removesuffix("+00:00")
        return f"{self._prefix}.{micros // 1000:03d}+00:00"


class TextFormatter(logging.Formatter):
    """One short line for a person: local time, level, the logger's last two names (the room
    and the module: ``etl.run``, ``serving.router``), the message, then the request id and the
    ``extra`` fields as ``key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        clock = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        short = ".".join(record.name.split(".")[-2:])
        # ``_aws`` and the like are for machines (CloudWatch embedded metrics), not for a person.
        fields = {k: v for k, v in _extras(record).items() if not k.startswith("_")}
        rid = request_id.get()
        trace_id = current_trace_id()
        if trace_id:
            fields = {"trace_id": trace_id, **fields}
        if rid:
            fields = {"request_id": rid, **fields}
        tail = "".join(f"  {key}={_short(value)}" for key, value in fields.items())
        line = f"{clock} {record.levelname:<7} {short}  {record.getMessage()}{tail}"
        if record.exc_info:  # a traceback is what a person needs to see here
            line += "\n" + self.formatException(record.exc_info)
        return line


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"  # figures, not digits
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


class ProgressAwareHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes through ``tqdm.write`` while a progress bar is open, which lifts the bars off
    the screen, writes the line and draws them again; plain writes otherwise (a server's
    lines: ``tqdm.write`` takes its locks and walks its bars for every line)."""

    def emit(self, record: logging.LogRecord) -> None:
        tqdm = sys.modules.get("tqdm")  # not imported: no bar can be on screen
        if tqdm is None or not tqdm.tqdm._instances:
            super().emit(record)
            return
        try:
            tqdm.tqdm.write(self.format(record), file=self.stream)
            self.flush()
        except Exception:
            self.handleError(record)


def choose_format(
    fmt: str, stream: TextIO, environ: Mapping[str, str] | None = None
) -> Literal["json", "text"]:
    """``json`` or ``text`` as asked; for ``auto``, text on a terminal outside AWS."""
    if fmt in ("json", "text"):
        return fmt  # type: ignore[return-value]
    if running_in_aws(environ):
        return "json"
    isatty = getattr(stream, "isatty", None)
    return "text" if callable(isatty) and isatty() else "json"


def configure_logging(
    level: str = "INFO", fmt: str = "auto", stream: TextIO | None = None
) -> Literal["json", "text"]:
    """Send every log line to ``stream`` (stdout by default); returns the format chosen."""
    out = stream or sys.stdout
    chosen = choose_format(fmt, out)
    # Neither format writes thread or process names, nor where the call was made from:
    # records need not look them up (the logging HOWTO's "Optimization": a serving process
    # writes a line per skill turn, and finding the caller walked the stack for each).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None  # the HOWTO's documented switch
    handler = ProgressAwareHandler(out)
    handler.setFormatter(TextFormatter() if chosen == "text" else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    return chosen
