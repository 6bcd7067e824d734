"""Observability end to end, on the online path the composition root builds: one request's
trace shows every stage with its request id, ``/metrics`` counts it, and log lines carry
the trace id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from philomath.logging_config import JsonFormatter
from philomath.settings import Settings
from philomath.wiring import Online, build_online
from skill.alexa import envelopes
from skill.request_context import request_id
from telemetry import Telemetry
from telemetry.otel import REQUEST_ID_ATTRIBUTE, OtelTracer, tracer_provider
from telemetry.prometheus import PrometheusMetrics
from tests.fakes import build_world

USER = "amzn1.ask.account.traced"


@dataclass
class Traced:
    online: Online
    client: TestClient
    spans: InMemorySpanExporter
    metrics: PrometheusMetrics


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[Traced]:
    build_world(tmp_path).close()  # the SQLite files the default settings point at
    spans = InMemorySpanExporter()
    metrics = PrometheusMetrics()
    tracer = OtelTracer(tracer_provider("philomath-test", request_id.get, spans, batch=False))
    settings = Settings(data_dir=tmp_path, verify_alexa_signatures=False, _env_file=None)  # type: ignore[call-arg]
    online = build_online(settings, Telemetry(metrics, tracer))
    with TestClient(online.app) as client:
        yield Traced(online, client, spans, metrics)
    online.close()


def play(traced: Traced, request_id_header: str) -> str:
    """A PlayMusicIntent over HTTP; the envelope's request id, which the skill binds."""
    envelope = envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, USER)
    response = traced.client.post(
        "/alexa", json=envelope, headers={"X-Request-Id": request_id_header}
    )
    assert response.status_code == 200
    assert response.json()["response"]["directives"][0]["type"] == "AudioPlayer.Play"
    return str(envelope["request"]["requestId"])


def test_one_requests_trace_shows_every_stage_with_its_request_id(traced: Traced) -> None:
    alexa_request_id = play(traced, "req-trace-1")

    spans = traced.spans.get_finished_spans()
    assert {"total", "parse", "route", "cache", "store", "catalog", "queue"} <= {
        span.name for span in spans
    }
    assert len({span.context.trace_id for span in spans if span.context}) == 1  # one trace
    (root,) = [span for span in spans if span.name == "total"]
    assert root.parent is None and all(s.parent is not None for s in spans if s is not root)

    # The HTTP request's id on the root; inside the skill, Alexa's, as on its log lines.
    def request_id_of(span: ReadableSpan) -> object:
        return (span.attributes or {}).get(REQUEST_ID_ATTRIBUTE)

    assert request_id_of(root) == "req-trace-1"
    assert {request_id_of(span) for span in spans if span is not root} == {alexa_request_id}


def test_metrics_count_the_request_by_route_and_stage(traced: Traced) -> None:
    play(traced, "req-metrics-1")

    text = traced.client.get("/metrics").text

    assert 'philomath_http_requests_total{method="POST",route="/alexa",status="200"} 1.0' in text
    for stage in ("total", "parse", "route", "cache", "store", "catalog", "queue"):
        assert f'philomath_stage_duration_seconds_count{{stage="{stage}"}}' in text
    assert 'philomath_skill_requests_total{intent="PlayMusicIntent",outcome="ok",' in text
    assert 'philomath_cache_lookups_total{result="miss"}' in text


def test_an_unknown_path_is_counted_under_one_label(traced: Traced) -> None:
    traced.client.get("/no/such/thing/123")
    text = traced.client.get("/metrics").text
    assert 'route="unmatched",status="404"' in text
    assert "/no/such/thing" not in text


def test_log_lines_written_inside_a_span_carry_its_trace_id(traced: Traced) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("skill")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        play(traced, "req-logs-1")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (root,) = [s for s in traced.spans.get_finished_spans() if s.name == "total"]
    assert lines and {line.get("trace_id") for line in lines} == {f"{root.context.trace_id:032x}"}
