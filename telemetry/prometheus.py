"""The Prometheus adapter of ``Metrics``, its exposition, and the background roles' server.

Each ``PrometheusMetrics`` owns a ``CollectorRegistry`` (never the library's global one), so
two apps in one process (tests) count apart. Several serving processes (``philomath serve
--processes N``) share one count through prometheus_client's multiprocess mode: with
``PROMETHEUS_MULTIPROC_DIR`` set before the library is imported, every process writes its
values to files there, and ``exposition`` merges them all, whichever process is scraped.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
    write_to_textfile,
)
from prometheus_client.multiprocess import MultiProcessCollector

from telemetry import names
from telemetry.ports import Stage

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# How a gauge of several processes merges (multiprocess mode only): the latest time wins.
_GaugeMode = Literal["max", "mostrecent"]


def multiprocess_dir() -> Path | None:
    """The multiprocess mode's folder, or None when the process counts alone."""
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


class PrometheusMetrics:
    """``telemetry.Metrics`` on prometheus_client; names are ``telemetry.names``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self._http_requests = self._counter(names.HTTP_REQUESTS, "HTTP requests answered.")
        self._http_duration = self._histogram(
            names.HTTP_DURATION, "HTTP request latency.", names.REQUEST_BUCKETS
        )
        self._stage_duration = self._histogram(
            names.STAGE_DURATION, "Latency of one stage of a request.", names.STAGE_BUCKETS
        )
        self._stage_errors = self._counter(names.STAGE_ERRORS, "Stages that raised.")
        self._cache_lookups = self._counter(names.CACHE_LOOKUPS, "Read-through cache lookups.")
        self._degraded = self._counter(names.DEGRADED_ANSWERS, "Degraded answers, by cause.")
        self._skill_requests = self._counter(names.SKILL_REQUESTS, "Alexa requests handled.")
        self._skill_duration = self._histogram(
            names.SKILL_DURATION, "Alexa request handling latency.", names.REQUEST_BUCKETS
        )
        self._consumer_lag = self._gauge(
            names.CONSUMER_LAG, "Age of the last event read (0: caught up).", "mostrecent"
        )
        self._consumer_pass = self._gauge(
            names.CONSUMER_LAST_PASS, "When the consumer last finished a pass.", "max"
        )
        self._play_events = self._counter(names.PLAY_EVENTS, "Play events applied, by kind.")
        self._batch_success = self._gauge(
            names.BATCH_LAST_SUCCESS, "When a batch run last published.", "max"
        )
        self._batch_duration = self._histogram(
            names.BATCH_DURATION, "Batch run duration.", names.BATCH_BUCKETS
        )
        self._model_trained = self._gauge(
            names.MODEL_TRAINED, "When the served model was trained.", "mostrecent"
        )
        self._batch_listeners = self._counter(
            names.BATCH_LISTENERS, "Listeners unknown to the model: folded in, or not and why."
        )
        self._live_lists = self._counter(
            names.LIVE_LISTS, "Lists computed at request time, or why the charts answered."
        )

        # The request path's series, each child looked up once: ``labels()`` costs more
        # than the observation, a dozen times a request. Their label values are bounded
        # (route templates, stages, status codes), so the caches are too.
        self._http_requests_of = functools.cache(self._http_requests.labels)
        self._http_duration_of = functools.cache(self._http_duration.labels)
        self._stage_duration_of = functools.cache(self._stage_duration.labels)
        self._cache_lookups_of = functools.cache(self._cache_lookups.labels)
        # Intent names come from the interaction model (Alexa signs every request), but a
        # server with verification off takes any: bounded caches, whatever the series do.
        self._skill_requests_of = functools.lru_cache(1_024)(self._skill_requests.labels)
        self._skill_duration_of = functools.lru_cache(1_024)(self._skill_duration.labels)

    # -- Metrics ----------------------------------------------------------------------------

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self._http_requests_of(route, method, str(status)).inc()
        self._http_duration_of(route, method).observe(seconds)

    def stage(self, stage: Stage, seconds: float, *, failed: bool) -> None:
        self._stage_duration_of(stage).observe(seconds)
        if failed:
            self._stage_errors.labels(stage).inc()

    def cache_lookup(self, *, hit: bool) -> None:
        self._cache_lookups_of("hit" if hit else "miss").inc()

    def degraded_answer(self, causes: Iterable[str]) -> None:
        for cause in causes:
            self._degraded.labels(cause).inc()

    def skill_request(
        self, request_type: str, intent: str | None, seconds: float, *, failed: bool
    ) -> None:
        outcome = "failed" if failed else "ok"
        self._skill_requests_of(request_type, intent or "-", outcome).inc()
        self._skill_duration_of(request_type).observe(seconds)

    def consumer_pass(self, lag_seconds: float, kinds: Iterable[str], at: float) -> None:
        self._consumer_lag.set(max(0.0, lag_seconds))
        self._consumer_pass.set(at)
        for kind in kinds:
            self._play_events.labels(kind).inc()

    def batch_published(self, mode: str, seconds: float, at: float) -> None:
        self._batch_success.labels(mode).set(at)
        self._batch_duration.labels(mode).observe(seconds)

    def model_trained(self, at: float) -> None:
        self._model_trained.set(at)

    def batch_listeners(self, folded: int, left_on_charts: Mapping[str, int]) -> None:
        if folded:
            self._batch_listeners.labels("folded").inc(folded)
        for reason, count in left_on_charts.items():
            self._batch_listeners.labels(reason).inc(count)

    def live_list(self, outcome: str) -> None:
        self._live_lists.labels(outcome).inc()

    # -- exposition -------------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The text format and its content type: this registry, or in multiprocess mode the
        merged values of every process."""
        return generate_latest(self._exposed()), CONTENT_TYPE_LATEST

    def serve(self, port: int, host: str = "0.0.0.0") -> None:
        """``/metrics`` on ``port`` from a daemon thread, for roles without an HTTP app."""
        start_http_server(port, host, registry=self._exposed())

    def write_textfile(self, path: Path) -> None:
        """The text format into ``path`` (atomically), for node_exporter's textfile
        collector: how a one-shot run's metrics outlive it."""
        write_to_textfile(str(path), self._exposed())

    def _exposed(self) -> CollectorRegistry:
        directory = multiprocess_dir()
        if directory is None:
            return self.registry
        merged = CollectorRegistry()
        MultiProcessCollector(merged, str(directory))  # type: ignore[no-untyped-call]
        return merged

    # -- construction -----------------------------------------------------------------------

    def _counter(self, name: str, doc: str) -> Counter:
        return Counter(name, doc, names.LABELS[name], registry=self.registry)

    def _histogram(self, name: str, doc: str, buckets: tuple[float, ...]) -> Histogram:
        return Histogram(name, doc, names.LABELS[name], registry=self.registry, buckets=buckets)

    def _gauge(self, name: str, doc: str, mode: _GaugeMode) -> Gauge:
        return Gauge(name, doc, names.LABELS[name], registry=self.registry, multiprocess_mode=mode)
