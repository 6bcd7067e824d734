"""The telemetry ports, their null adapters, and ``Telemetry``: what domain code records
through. No registry, exporter or global lives here: the composition root builds the adapters
and hands them down."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, Protocol

# The stages of a request, as spans and as ``philomath_stage_duration_seconds{stage}``.
Stage = Literal["parse", "route", "cache", "store", "profiles", "catalog", "queue", "total"]


class Metrics(Protocol):
    """What every role counts; names and labels are ``telemetry.names``."""

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One HTTP request, by route template."""

    def stage(self, stage: Stage, seconds: float, *, failed: bool) -> None:
        """One stage of a request; ``failed`` when it raised."""

    def cache_lookup(self, *, hit: bool) -> None:
        """One read-through lookup (a cached miss marker is a hit: the cache answered)."""

    def degraded_answer(self, causes: Iterable[str]) -> None:
        """One answer the router gave degraded, and why (``store``, ``cache``, ...)."""

    def skill_request(
        self, request_type: str, intent: str | None, seconds: float, *, failed: bool
    ) -> None:
        """One Alexa request the skill handled (``failed``: the catch-all answered)."""

    def consumer_pass(self, lag_seconds: float, kinds: Iterable[str], at: float) -> None:
        """One pass of the feedback consumer at ``at`` (epoch seconds): how old the last event
        it read was (0 when caught up) and the kinds of the events it newly applied."""

    def batch_published(self, mode: str, seconds: float, at: float) -> None:
        """A batch run of ``mode`` that published its lists at ``at`` (epoch seconds)."""

    def model_trained(self, at: float) -> None:
        """When the model batch inference serves was trained (epoch seconds)."""

    def batch_listeners(self, folded: int, left_on_charts: Mapping[str, int]) -> None:
        """Listeners unknown to the model a batch run folded in from their live history,
        and those it left on the charts, by reason."""

    def live_list(self, outcome: str) -> None:
        """One list the router computed at request time (``served``), or why it served the
        charts instead (``no_history``, ``model_not_personal``, ``failed``...)."""


class Tracer(Protocol):
    def span(
        self, name: str, attributes: Mapping[str, str] | None = None
    ) -> AbstractContextManager[object]:
        """A span around the block, child of the current one."""


class NullMetrics:
    """Counts nothing: telemetry off, and the default of every constructor."""

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        pass

    def stage(self, stage: Stage, seconds: float, *, failed: bool) -> None:
        pass

    def cache_lookup(self, *, hit: bool) -> None:
        pass

    def degraded_answer(self, causes: Iterable[str]) -> None:
        pass

    def skill_request(
        self, request_type: str, intent: str | None, seconds: float, *, failed: bool
    ) -> None:
        pass

    def consumer_pass(self, lag_seconds: float, kinds: Iterable[str], at: float) -> None:
        pass

    def batch_published(self, mode: str, seconds: float, at: float) -> None:
        pass

    def model_trained(self, at: float) -> None:
        pass

    def batch_listeners(self, folded: int, left_on_charts: Mapping[str, int]) -> None:
        pass

    def live_list(self, outcome: str) -> None:
        pass


class NullTracer:
    def span(
        self, name: str, attributes: Mapping[str, str] | None = None
    ) -> AbstractContextManager[object]:
        return contextlib.nullcontext()


@dataclass(frozen=True, slots=True)
class Telemetry:
    """Metrics and tracer together; ``stage`` is a span and a latency observation at once."""

    metrics: Metrics = field(default_factory=NullMetrics)
    tracer: Tracer = field(default_factory=NullTracer)

    @property
    def enabled(self) -> bool:
        """False when both are null: callers may then skip instrumenting altogether."""
        # Exact types: a subclass that overrides a method (a test's recorder) counts.
        return not (type(self.metrics) is NullMetrics and type(self.tracer) is NullTracer)

    def stage(self, name: Stage, attributes: Mapping[str, str] | None = None) -> StageTimer:
        """A span around the block and a latency observation of it (failed: it raised)."""
        return StageTimer(self, name, attributes)


class StageTimer:
    """``Telemetry.stage``'s context manager: a class, not a generator, since a turn opens
    a dozen stages and a generator's context manager costs several times as much
    (BENCHMARKS.md, "2026-12-07 (late night)")."""

    __slots__ = ("_attributes", "_name", "_span", "_started", "_telemetry")

    def __init__(
        self, telemetry: Telemetry, name: Stage, attributes: Mapping[str, str] | None
    ) -> None:
        self._telemetry = telemetry
        self._name = name
        self._attributes = attributes
        self._span: AbstractContextManager[object] | None = None
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()
        tracer = self._telemetry.tracer
        if type(tracer) is not NullTracer:
            self._span = tracer.span(self._name, self._attributes)
            self._span.__enter__()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        seconds = time.perf_counter() - self._started
        try:
            if self._span is not None:
                self._span.__exit__(kind, error, traceback)
        finally:
            self._telemetry.metrics.stage(self._name, seconds, failed=kind is not None)
