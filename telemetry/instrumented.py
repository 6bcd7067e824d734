"""``timed``: a port whose calls each count as a stage (a span and a latency observation).

The composition root wraps the ports of the request path with it (catalog, store, cache,
queues, parser), so the domain code that calls them stays free of timing code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from telemetry.ports import NullTracer, Stage, Telemetry

T = TypeVar("T")

# Lifecycle, not request work: never timed.
_UNTIMED = frozenset({"ensure_schema", "close"})


def timed(port: T, stage: Stage, telemetry: Telemetry) -> T:
    """``port`` with every public method call timed as ``stage``; ``port`` itself when
    telemetry is off (no cost at all)."""
    if not telemetry.enabled:
        return port
    return cast(T, _Timed(port, stage, telemetry))


class _Timed:
    def __init__(self, port: object, stage: Stage, telemetry: Telemetry) -> None:
        self._port = port
        self._stage = stage
        self._telemetry = telemetry

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._port, name)
        if name.startswith("_") or name in _UNTIMED or not callable(attribute):
            return attribute
        wrapped = _timed_call(attribute, self._stage, self._telemetry)
        setattr(self, name, wrapped)  # built once: later lookups skip __getattr__
        return wrapped

    def __repr__(self) -> str:
        return f"timed({self._port!r}, {self._stage!r})"


def _timed_call(call: Callable[..., Any], stage: Stage, telemetry: Telemetry) -> Any:
    if type(telemetry.tracer) is not NullTracer:

        def traced(*args: Any, **kwargs: Any) -> Any:
            with telemetry.stage(stage):
                return call(*args, **kwargs)

        return traced
    observe = telemetry.metrics.stage

    def run(*args: Any, **kwargs: Any) -> Any:  # Telemetry.stage without a span, inlined
        started = time.perf_counter()
        try:
            result = call(*args, **kwargs)
        except BaseException:
            observe(stage, time.perf_counter() - started, failed=True)
            raise
        observe(stage, time.perf_counter() - started, failed=False)
        return result

    return run
