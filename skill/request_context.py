"""The id of the request being handled, for every log line written while handling it."""

from __future__ import annotations

import contextvars
import uuid
from types import TracebackType

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class bound_request_id:  # noqa: N801 - used as a function: ``with bound_request_id(...)``
    """Bind ``value`` (or a fresh id) as the current request id for the block; ``as`` gives
    the id. A class, not a generator: every request enters two of these."""

    __slots__ = ("_bound", "_token")

    def __init__(self, value: str | None = None) -> None:
        self._bound = value or uuid.uuid4().hex
        self._token: contextvars.Token[str | None] | None = None

    def __enter__(self) -> str:
        self._token = request_id.set(self._bound)
        return self._bound

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._token is not None:
            request_id.reset(self._token)
            self._token = None
