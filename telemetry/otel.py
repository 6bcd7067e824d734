"""The OpenTelemetry adapter of ``Tracer``: spans on an SDK ``TracerProvider`` the
composition root builds (never the global one), exported as ``PHILOMATH_TRACE_EXPORTER`` says.

- ``console``: spans as JSON on stdout (local runs).
- ``otlp``: OTLP over HTTP to a collector, ``OTEL_EXPORTER_OTLP_ENDPOINT`` (default
  ``http://localhost:4318``). In AWS that collector is the ADOT one (a Lambda layer or a
  sidecar) exporting to X-Ray; its ``awsxray`` exporter maps these spans to X-Ray segments.

Every span carries the request id (``request.id``) through ``RequestIdSpanProcessor``, and
``philomath.stage`` names its stage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Literal

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)

Exporter = Literal["none", "console", "otlp"]
REQUEST_ID_ATTRIBUTE = "request.id"
STAGE_ATTRIBUTE = "philomath.stage"


class RequestIdSpanProcessor(SpanProcessor):
    """Puts the current request id (from ``lookup``) on every span as it starts."""

    def __init__(self, lookup: Callable[[], str | None]) -> None:
        self._lookup = lookup

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        request_id = self._lookup()
        if request_id:
            span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)

    def on_end(self, span: ReadableSpan) -> None:
        pass


def exporter_for(name: Exporter) -> SpanExporter | None:
    if name == "console":
        return ConsoleSpanExporter()
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()  # endpoint and headers from OTEL_EXPORTER_OTLP_*
    return None


def tracer_provider(
    service: str,
    request_id: Callable[[], str | None],
    exporter: SpanExporter | None,
    *,
    batch: bool = True,
) -> TracerProvider:
    """A provider that tags spans with the request id and exports them (``batch``: off the
    request path, from a background thread; else synchronously, for tests)."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(RequestIdSpanProcessor(request_id))
    if exporter is not None:
        processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
        provider.add_span_processor(processor)
    return provider


class OtelTracer:
    """``telemetry.Tracer`` on an OpenTelemetry ``TracerProvider``."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("philomath")

    def span(
        self, name: str, attributes: Mapping[str, str] | None = None
    ) -> AbstractContextManager[object]:
        return self._tracer.start_as_current_span(
            name, attributes={STAGE_ATTRIBUTE: name, **(attributes or {})}
        )
