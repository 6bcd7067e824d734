"""Latency of the voice request path against a plain store read, measured in the same run.

Run after ``philomath pipeline run`` (embedded defaults, or any PHILOMATH_* backends), with
signature verification off since the bench posts unsigned envelopes:

    PHILOMATH_VERIFY_ALEXA_SIGNATURES=false .venv/bin/python bench/request_path.py

Prints p50/p99 in milliseconds for each stage and its ratio to the baseline (one store read).
``--telemetry`` sets what is recorded, to measure its cost: ``off`` (nothing), ``metrics``
(Prometheus), ``traces`` (Prometheus and a span per stage, batched to an exporter that drops
them: the request path's share of tracing, the export being off-thread), or ``settings``
(whatever PHILOMATH_METRICS_ENABLED and PHILOMATH_TRACE_EXPORTER say).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from philomath.observability import build_telemetry
from philomath.settings import Settings
from philomath.wiring import build_online
from recommender.serving.router import RecommendationRequest
from recommender.storage.recommendations import POPULAR_USER
from skill.alexa import handle_envelope
from skill.alexa.envelopes import intent_request, search_request
from skill.request_context import request_id
from telemetry import Telemetry

USER = "usr-0000001"


def measure(run: Callable[[], object], n: int) -> tuple[float, float]:
    for _ in range(min(50, n)):  # warm caches and code paths
        run()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    quantiles = statistics.quantiles(samples, n=100)
    return quantiles[49], quantiles[98]


def _ok(response: object) -> object:
    status = response.status_code  # type: ignore[attr-defined]
    if status != 200:  # a rejected request would time the wrong thing
        raise SystemExit(f"/alexa answered {status}: set PHILOMATH_VERIFY_ALEXA_SIGNATURES=false")
    return response


def telemetry_for(choice: str, settings: Settings) -> Telemetry:
    if choice == "settings":
        return build_telemetry(settings)
    if choice == "off":
        return Telemetry()
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    from telemetry.otel import OtelTracer, tracer_provider
    from telemetry.prometheus import PrometheusMetrics

    if choice == "metrics":
        return Telemetry(PrometheusMetrics())

    class Dropped(SpanExporter):
        def export(self, spans: object) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = tracer_provider("philomath-bench", request_id.get, Dropped())
    return Telemetry(PrometheusMetrics(), OtelTracer(provider))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--telemetry", choices=("settings", "off", "metrics", "traces"), default="settings"
    )
    args = parser.parse_args()

    settings = Settings()
    online = build_online(settings, telemetry_for(args.telemetry, settings))
    client = TestClient(online.app)
    play = intent_request("PlayMusicIntent", {"Mood": "relaxing"}, USER)
    free_text = search_request("play something relaxing", USER)
    stages: dict[str, Callable[[], object]] = {
        "store read (baseline)": lambda: online.backends.store.get_list(
            POPULAR_USER, "mood:relaxing"
        ),
        "router.recommend (cached)": lambda: online.router.recommend(
            RecommendationRequest(USER, mood="relaxing")
        ),
        "skill: PlayMusicIntent": lambda: handle_envelope(online.skill, play),
        "skill: free text": lambda: handle_envelope(online.skill, free_text),
        "HTTP POST /alexa (in-process ASGI)": lambda: _ok(client.post("/alexa", json=play)),
    }
    results = {name: measure(run, args.requests) for name, run in stages.items()}
    base_p50, base_p99 = results["store read (baseline)"]
    heading = f"(n={args.requests}, telemetry {args.telemetry})"
    print(f"| stage | p50 ms | p99 ms | p50 ratio | p99 ratio |  {heading}")
    print("| --- | --- | --- | --- | --- |")
    for name, (p50, p99) in results.items():
        print(f"| {name} | {p50:.3f} | {p99:.3f} | {p50 / base_p50:.1f}x | {p99 / base_p99:.1f}x |")
    online.close()


if __name__ == "__main__":
    main()
