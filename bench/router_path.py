"""Latency of the router path, cold and warm cache, against a plain store read, in one run.

    .venv/bin/python bench/router_path.py [--requests 2000] [--data-dir var/bench]
        [--cache-url redis://127.0.0.1:6379/14]

Fills ``--data-dir`` with the embedded data set and runs the offline pipeline there first if
it holds no catalog yet (so ``var/``, the demo's, is left alone). Other backends follow the
usual ``PHILOMATH_*`` variables; ``--cache-url`` overrides the cache (a Redis database this
benchmark may flush). Stages, each over the same listeners:

- store read (baseline): ``RecommendationStore.get_list`` of a listener's overall list;
- router, cold cache: ``Router.recommend`` with the cache emptied before every request, so
  the profile and the lists come from the stores (track facets stay in process, as they do
  in a running server);
- router, warm cache: the same requests again, everything in the cache.

Prints p50/p99 in milliseconds and their ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from philomath.offline import run_offline
from philomath.settings import Settings
from philomath.wiring import build_backends
from recommender.serving.router import RecommendationRequest, Router


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def timed(
    run: Callable[[int], object], n: int, before: Callable[[], None] | None = None
) -> list[float]:
    samples = []
    for i in range(n):
        if before is not None:
            before()
        started = time.perf_counter()
        run(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--cache-url", default=None)
    args = parser.parse_args()

    os.environ.setdefault("PHILOMATH_LOG_LEVEL", "WARNING")
    overrides: dict[str, object] = {"data_dir": args.data_dir}
    if args.cache_url:
        overrides["cache_url"] = args.cache_url
    settings = Settings(**overrides)  # type: ignore[arg-type]
    backends = build_backends(settings)
    backends.ensure_schema()
    if backends.catalog.count() == 0:
        print(f"filling {args.data_dir} (pipeline run)...", file=sys.stderr)
        run_offline(settings, progress=False)
    router = Router(
        backends.store, backends.profiles, backends.cache, catalog=backends.catalog,
        cache_ttl_s=settings.cache_ttl_s,
    )  # fmt: skip
    users = [f"usr-{i:07d}" for i in range(settings.users)]
    users = [u for u in users if backends.store.get_list(u) is not None][: args.requests]
    n = args.requests

    flush: Callable[[], object] = backends.cache.close  # the in-process cache empties so
    if settings.cache_url.startswith("redis"):
        import redis

        flush = redis.Redis.from_url(settings.cache_url).flushdb  # the bench's own database

    def empty_cache() -> None:
        flush()

    def store_read(i: int) -> object:
        return backends.store.get_list(users[i % len(users)])

    def route(i: int) -> object:
        return router.recommend(RecommendationRequest(users[i % len(users)], n=10))

    for i in range(min(200, n)):  # warm code paths and the facet cache
        route(i)
        store_read(i)
    results = {
        "store read (baseline)": quantiles(timed(store_read, n)),
        "router, cold cache": quantiles(timed(route, n, before=empty_cache)),
    }
    empty_cache()
    timed(route, n)  # fill the cache with every listener's lists
    results["router, warm cache"] = quantiles(timed(route, n))
    backends.close()

    base_p50, base_p99 = results["store read (baseline)"]
    schemes = ", ".join(
        f"{name} {url.split(':')[0]}"
        for name, url in (
            ("store", settings.store_url),
            ("profiles", settings.profiles_url),
            ("cache", settings.cache_url),
            ("catalog", settings.catalog_url),
        )
    )
    print(
        f"# {datetime.now(UTC):%Y-%m-%d}, {platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {schemes}, {n} requests over {len(users)} listeners"
    )
    print("| stage | p50 ms | p99 ms | p50 ratio | p99 ratio |")
    print("| --- | --- | --- | --- | --- |")
    for name, (p50, p99) in results.items():
        print(f"| {name} | {p50:.3f} | {p99:.3f} | {p50 / base_p50:.1f}x | {p99 / base_p99:.1f}x |")


if __name__ == "__main__":
    main()
