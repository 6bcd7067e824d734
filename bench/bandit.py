"""What the bandit re-ranker adds to a routed answer: the router with and without it, in one
run, over the same requests.

    .venv/bin/python bench/bandit.py [--requests 2000] [--data-dir var/bench]
        [--bandit-url sqlite:///var/bench/bench-bandit.db] [--pool 50] [--prior-strength 10]
        [--blend B] [--genre-half-life-days 0]

Fills ``--data-dir`` with the embedded data set and runs the offline pipeline there first if
it holds no catalog yet. The posterior store (``--bandit-url``, SQLite by default, or a
Redis this benchmark may flush) is filled with evidence first: every listener's first 20
tracks get a few finished and skipped plays in their arm, and in their genre's arm. Each
request is then answered by three routers over the same backends and warm cache, back to
back, in turns (so all see the same conditions): one serving the list as ranked
(``StaticRanking``), one re-ranking its top 10 with ``ThompsonReranker`` at the default
settings (one posterior read, Thompson draws, the exploration swap), and one filling the top
10 from a wider pool of ``--pool`` ranked tracks with genre arms as the tracks' prior
(``--prior-strength``), blended with the model's order by ``--blend`` and its genre arms
fading at ``--genre-half-life-days`` (0: as its track arms): the router ranks that many,
looks their genres up in its facet cache, and the re-ranker reads their posteriors and their
genres' in one read.

Prints p50/p99 in milliseconds of each, their ratio, and the p99 each re-ranker adds.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from philomath.adapters import build_posteriors
from philomath.offline import run_offline
from philomath.settings import Settings
from philomath.wiring import build_backends, build_reranker
from recommender.feedback.bandit_feedback import decaying_fold
from recommender.serving.bandit import Reranker, StaticRanking, arm_context
from recommender.serving.router import RecommendationRequest, Router
from recommender.storage.posteriors import Evidence, group_arm


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--bandit-url", default="")
    parser.add_argument("--pool", type=int, default=50)
    parser.add_argument("--prior-strength", type=float, default=10.0)
    parser.add_argument("--blend", type=float, default=None, help="default: PHILOMATH_BANDIT_BLEND")
    parser.add_argument("--genre-half-life-days", type=float, default=0.0)
    args = parser.parse_args()

    os.environ.setdefault("PHILOMATH_LOG_LEVEL", "WARNING")
    bandit_url = args.bandit_url or f"sqlite:///{args.data_dir / 'bench-bandit.db'}"
    settings = Settings(
        data_dir=args.data_dir, nlu_train=False, bandit_enabled=True, bandit_url=bandit_url
    )
    backends = build_backends(settings)
    backends.ensure_schema()
    if backends.catalog.count() == 0:
        print(f"filling {args.data_dir} (pipeline run)...", file=sys.stderr)
        run_offline(settings, progress=False)
    posteriors = build_posteriors(settings)
    assert posteriors is not None
    posteriors.ensure_schema()
    users = [f"usr-{i:07d}" for i in range(settings.users)]  # the embedded data set's
    known = [u for u in users if backends.store.get_list(u) is not None]
    assert known, "no stored lists: run the pipeline first"
    rng = random.Random(7)
    context = arm_context("personalized")
    evidence = []
    now = time.time()
    for user in known:
        stored = backends.store.get_list(user)
        assert stored is not None
        tracks = backends.catalog.get_tracks(list(stored.track_ids[:20]))
        for track in stored.track_ids[:20]:
            genre = tracks[track].genre if track in tracks else None
            for j in range(3):
                ok = rng.random() < 0.5
                event = f"bench-{user}-{track}-{j}"
                evidence.append(Evidence(event, context, track, float(ok), float(not ok), now))
                if genre:
                    arm = group_arm(genre)
                    evidence.append(Evidence(event, context, arm, float(ok), float(not ok), now))
    fold = decaying_fold(settings.bandit_half_life_days, settings.bandit_genre_half_life_days)
    for start in range(0, len(evidence), 1000):
        posteriors.record(evidence[start : start + 1000], fold)

    def router(reranker: Reranker) -> Router:
        return Router(
            backends.store, backends.profiles, backends.cache, catalog=backends.catalog,
            cache_ttl_s=settings.cache_ttl_s, reranker=reranker,
        )  # fmt: skip

    wide_blend = settings.bandit_blend if args.blend is None else args.blend
    wide = settings.model_copy(
        update={
            "bandit_pool": args.pool,
            "bandit_prior_strength": args.prior_strength,
            "bandit_blend": wide_blend,
            "bandit_genre_half_life_days": args.genre_half_life_days,
        }
    )
    wide_name = (
        f"router + bandit, pool {args.pool}, genre prior {args.prior_strength:g}, "
        f"blend {wide_blend:g}, genre half-life {args.genre_half_life_days:g} d"
    )
    routers = [
        ("router, as ranked", router(StaticRanking())),
        ("router + bandit", router(build_reranker(settings, posteriors))),
        (wide_name, router(build_reranker(wide, posteriors))),
    ]
    n = args.requests
    requests = [RecommendationRequest(known[i % len(known)], n=10) for i in range(n)]
    for request in requests:  # warm: code paths, the cache, facets, pages
        for _, routed in routers:
            routed.recommend(request)
    samples: dict[str, list[float]] = {name: [] for name, _ in routers}
    for i, request in enumerate(requests):
        turn = i % len(routers)  # none always goes first
        for name, routed in routers[turn:] + routers[:turn]:
            started = time.perf_counter()
            answer = routed.recommend(request)
            samples[name].append((time.perf_counter() - started) * 1000)
            assert 0 < len(answer.track_ids) <= request.n, answer
    backends.close()
    posteriors.close()

    results = {name: quantiles(values) for name, values in samples.items()}
    base_p50, base_p99 = results["router, as ranked"]
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {n} requests each over "
        f"{len(known)} listeners; posteriors: {bandit_url.split(':')[0]}, "
        f"{len(evidence)} events folded in; top_k {settings.bandit_top_k}"
    )
    print("| stage | p50 ms | p99 ms | p50 ratio | p99 ratio |")
    print("| --- | --- | --- | --- | --- |")
    for stage, (p50, p99) in results.items():
        print(
            f"| {stage} | {p50:.3f} | {p99:.3f} | {p50 / base_p50:.2f}x | {p99 / base_p99:.2f}x |"
        )
    for name in list(results)[1:]:
        added = results[name][1] - base_p99
        print(f"# {name}: the re-ranker adds {added:.3f} ms to the p99 (budget: 1 ms)")


if __name__ == "__main__":
    main()
