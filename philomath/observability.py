"""Telemetry from settings: the metrics and tracing adapters every role records through.

- Metrics: Prometheus (``PHILOMATH_METRICS_ENABLED``, on by default) except in a Lambda,
  which nothing can scrape: there the skill's CloudWatch EMF lines are the metrics, in the
  same vocabulary (``telemetry.names``). ``serve`` answers ``GET /metrics``; ``consume`` and
  ``batch --watch`` serve ``/metrics`` on ``PHILOMATH_METRICS_PORT`` (0: none); a one-shot
  ``batch`` writes ``PHILOMATH_METRICS_TEXTFILE`` for node_exporter's textfile collector.
- Traces: ``PHILOMATH_TRACE_EXPORTER`` = ``none`` (no spans at all), ``console`` or ``otlp``
  (``OTEL_EXPORTER_OTLP_ENDPOINT``; ADOT to X-Ray in AWS). See ``telemetry.otel``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from philomath.environment import in_lambda
from philomath.settings import Settings
from telemetry import Metrics, NullMetrics, NullTracer, Telemetry, Tracer

if TYPE_CHECKING:
    from skill.alexa.metrics import SkillMetrics
    from skill.api.observability import Exposition
    from telemetry.prometheus import PrometheusMetrics

logger = logging.getLogger(__name__)

SERVICE_NAME = "philomath"


def build_telemetry(settings: Settings) -> Telemetry:
    return Telemetry(build_metrics(settings), build_tracer(settings))


def build_metrics(settings: Settings) -> Metrics:
    if not settings.metrics_enabled or in_lambda():
        return NullMetrics()
    from telemetry.prometheus import PrometheusMetrics

    return PrometheusMetrics()


def build_tracer(settings: Settings) -> Tracer:
    if settings.trace_exporter == "none":
        return NullTracer()
    from skill.request_context import request_id
    from telemetry.otel import OtelTracer, exporter_for, tracer_provider

    exporter = exporter_for(settings.trace_exporter)
    return OtelTracer(tracer_provider(SERVICE_NAME, request_id.get, exporter))


def prometheus_of(telemetry: Telemetry) -> PrometheusMetrics | None:
    from telemetry.prometheus import PrometheusMetrics

    metrics = telemetry.metrics
    return metrics if isinstance(metrics, PrometheusMetrics) else None


def exposition_of(telemetry: Telemetry) -> Exposition | None:
    """What ``GET /metrics`` serves, or None when nothing is counted (no route then)."""
    prometheus = prometheus_of(telemetry)
    return prometheus.exposition if prometheus is not None else None


def skill_metrics(telemetry: Telemetry) -> SkillMetrics:
    """Prometheus where it counts; else CloudWatch EMF lines (the Lambda)."""
    from skill.alexa.metrics import LogSkillMetrics, TelemetrySkillMetrics

    if prometheus_of(telemetry) is not None:
        return TelemetrySkillMetrics(telemetry.metrics)
    return LogSkillMetrics()


def expose_role_metrics(settings: Settings, telemetry: Telemetry) -> None:
    """``/metrics`` on ``PHILOMATH_METRICS_PORT`` for a long-running role without an HTTP app
    (``consume``, ``batch --watch``), from a daemon thread."""
    prometheus = prometheus_of(telemetry)
    if prometheus is None or not settings.metrics_port:
        return
    prometheus.serve(settings.metrics_port, settings.host)
    logger.info("metrics on http://%s:%d/metrics", settings.host, settings.metrics_port)


def write_metrics_textfile(settings: Settings, telemetry: Telemetry) -> None:
    """A one-shot run's metrics into ``PHILOMATH_METRICS_TEXTFILE`` (unset: nothing)."""
    prometheus = prometheus_of(telemetry)
    if prometheus is not None and settings.metrics_textfile is not None:
        prometheus.write_textfile(settings.metrics_textfile)


def prepare_multiprocess_metrics(settings: Settings) -> Path:
    """Multiprocess mode for the serving processes about to start: ``PROMETHEUS_MULTIPROC_DIR``
    (kept when set, else ``<data dir>/prometheus``), emptied of a previous run's files, which
    would otherwise be counted again. Set before any worker imports prometheus_client."""
    from telemetry.prometheus import MULTIPROC_ENV

    folder = Path(os.environ.get(MULTIPROC_ENV) or settings.data_dir / "prometheus").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder
