"""The id of the request being handled, for every log line written while handling it."""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


@contextlib.contextmanager
def bound_request_id(value: str | None = None) -> Iterator[str]:
    """Bind ``value`` (or a fresh id) as the current request id for the block."""
    bound = value or uuid.uuid4().hex
    token = request_id.set(bound)
    try:
        yield bound
    finally:
        request_id.reset(token)
