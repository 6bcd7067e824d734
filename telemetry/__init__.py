"""Telemetry: the metrics and tracing ports every role records through, and their adapters.

- ``ports``: ``Metrics`` and ``Tracer`` (ports), their null adapters, ``Telemetry`` (both
  together, with ``stage()``: one span and one latency observation per stage), ``Stage``.
- ``names``: the one metric vocabulary (names, labels, buckets); Prometheus and the skill's
  CloudWatch EMF lines both use it.
- ``instrumented``: ``timed``, a port whose calls each count as a stage.
- ``prometheus``: the Prometheus adapter (``prometheus-client``; multiprocess mode under
  ``PROMETHEUS_MULTIPROC_DIR``) and the small metrics server of the background roles.
- ``otel``: the OpenTelemetry tracer adapter and its span exporters.

Imports nothing of ours (every package may import it); the adapters' libraries are in the
``serving`` extra and load only when the composition root builds an adapter.
"""

from telemetry.ports import Metrics, NullMetrics, NullTracer, Stage, Telemetry, Tracer

__all__ = ["Metrics", "NullMetrics", "NullTracer", "Stage", "Telemetry", "Tracer"]
