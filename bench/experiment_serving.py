"""What running A/B experiments add to a routed answer: the router without experiments and
with them, in one run, over the same requests, backends and warm cache.

    .venv/bin/python bench/experiment_serving.py [--requests 5000] [--data-dir var/bench]

Fills ``--data-dir`` with the embedded data set and runs the offline pipeline there first if
it holds no catalog yet, then stages ``popularity.v1``'s lists for experiments
(``philomath batch --experiment-model popularity.v1``) unless it is the promoted model.
Routers, each request answered by all of them back to back, the first one taking turns:

- no experiments (the baseline);
- one running experiment whose variants both serve the list as ranked (``{}`` against
  ``{"bandit": "off"}``): the assignment (two SHA-256 per experiment), the plan and the
  exposure, nothing else;
- eight running experiments (the most that may run), the same one and seven without
  overrides: eight assignments per request;
- one experiment whose treatment serves another model version from its staged snapshot
  (``{}`` against ``{"model_version": "popularity.v1"}``): half the listeners read other lists.

Also times ``ServingExperiments.plan`` alone (the per-request hot path of the assignment).
Prints p50/p99 in milliseconds, ratios to the baseline, and what each adds.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from philomath.offline import run_offline
from philomath.settings import Settings
from philomath.wiring import build_backends
from recommender.batch.inference import run_experiment_batch
from recommender.batch.promoted_model import DEFAULT_MODEL, promoted_version
from recommender.experiments.config import Experiment
from recommender.serving.bandit import BanditConfig
from recommender.serving.experiments import ServingExperiments
from recommender.serving.router import RecommendationRequest, Router

BASELINE = "router, no experiments"


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def experiment(name: str, treatment: dict[str, str]) -> Experiment:
    return Experiment.model_validate(
        {
            "name": name,
            "salt": f"{name}-salt",
            "status": "running",
            "started_at": "2026-12-01T00:00:00Z",
            "variants": [
                {"name": "control", "weight": 1},
                {"name": "treatment", "weight": 1, "overrides": treatment},
            ],
        }
    )


def serving(*experiments: Experiment) -> ServingExperiments:
    return ServingExperiments(experiments, bandit=BanditConfig(), posteriors=None)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    args = parser.parse_args()

    os.environ.setdefault("PHILOMATH_LOG_LEVEL", "WARNING")
    settings = Settings(data_dir=args.data_dir, nlu_train=False)
    backends = build_backends(settings)
    backends.ensure_schema()
    if backends.catalog.count() == 0:
        print(f"filling {args.data_dir} (pipeline run)...", file=sys.stderr)
        run_offline(settings, progress=False)
    work = settings.data_dir / "work"
    staged = promoted_version(work / "models") != DEFAULT_MODEL
    if staged:
        print(f"staging {DEFAULT_MODEL} lists for experiments...", file=sys.stderr)
        run_experiment_batch(
            store=backends.store, profiles=backends.profiles, work_dir=work, model=DEFAULT_MODEL
        )
    users = [f"usr-{i:07d}" for i in range(settings.users)]  # the embedded data set's
    known = [u for u in users if backends.store.get_list(u) is not None]
    assert known, "no stored lists: run the pipeline first"

    ranker = experiment("ranker", {"bandit": "off"})
    tags = [experiment(f"tag-{i}", {}) for i in range(7)]
    plans = {
        "1 experiment": serving(ranker),
        "8 experiments": serving(ranker, *tags),
    }
    if staged:
        plans["1 experiment, model version staged"] = serving(
            experiment("model", {"model_version": DEFAULT_MODEL})
        )

    def router(experiments: ServingExperiments | None) -> Router:
        return Router(
            backends.store, backends.profiles, backends.cache, catalog=backends.catalog,
            cache_ttl_s=settings.cache_ttl_s, experiments=experiments,
        )  # fmt: skip

    routers = {BASELINE: router(None)} | {
        f"router + {name}": router(plan) for name, plan in plans.items()
    }
    n = args.requests
    requests = [RecommendationRequest(known[i % len(known)], n=10) for i in range(n)]
    for request in requests:  # warm: code paths, the cache, facets, pages
        for routed in routers.values():
            routed.recommend(request)
    samples: dict[str, list[float]] = {name: [] for name in routers}
    order = list(routers.items())
    exposed = 0
    for i, request in enumerate(requests):
        shift = i % len(order)  # each router goes first in turn
        for name, routed in order[shift:] + order[:shift]:
            started = time.perf_counter()
            answer = routed.recommend(request)
            samples[name].append((time.perf_counter() - started) * 1000)
            assert answer.track_ids, answer
            exposed += bool(answer.experiments)

    plan_us: dict[str, float] = {}
    for name, plan in plans.items():
        started = time.perf_counter()
        for request in requests:
            plan.plan(request.user_id, lambda version: "staged")
        plan_us[name] = (time.perf_counter() - started) / n * 1e6
    backends.close()

    results = {name: quantiles(values) for name, values in samples.items()}
    base_p50, base_p99 = results[BASELINE]
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {n} requests each over "
        f"{len(known)} listeners; {exposed} answers named a variant"
    )
    print("| stage | p50 ms | p99 ms | p50 ratio | p99 ratio | added p50 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for stage, (p50, p99) in results.items():
        print(
            f"| {stage} | {p50:.3f} | {p99:.3f} | {p50 / base_p50:.2f}x | {p99 / base_p99:.2f}x "
            f"| {p50 - base_p50:+.3f} |"
        )
    for name, us in plan_us.items():
        print(f"# ServingExperiments.plan, {name}: {us:.1f} us per request")


if __name__ == "__main__":
    main()
