"""Cost of a list computed at request time for a listener the model never saw (the router's
live path), next to reading a stored list, in one run.

    .venv/bin/python bench/live_lists.py [--requests 1000] [--data-dir var/bench]

Fills ``--data-dir`` with the embedded data set and runs the offline pipeline there first if
it holds no catalog yet (EASE is promoted at the default scale). Newcomers are made up: each
has started ``--history`` tracks drawn from what the data set's listeners play, and skipped
a fifth of them; their profiles are written to the profile store. Stages:

- store read (baseline): ``RecommendationStore.get_list`` of a known listener's list;
- live list, computed: ``LiveLists.list_for`` of a newcomer not seen before (fold-in, top-n);
- live list, kept: the same newcomers again (their history unchanged: read from the LRU);
- router, live list computed / kept: ``Router.recommend`` for newcomers (profile read, live
  list, ranking), first with a fresh ``LiveLists``, then again.

Prints p50/p99 in milliseconds with their ratio to the baseline, the model's load time and
what loading it added to this process's resident memory (each serving worker pays it once).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from philomath.offline import run_offline
from philomath.settings import Settings
from philomath.wiring import build_backends, build_live_lists
from recommender.batch.live_lists import LiveLists
from recommender.data.interactions import Interactions
from recommender.serving.router import RecommendationRequest, Router
from recommender.storage.profiles import RecentEvent, UserProfile
from telemetry import Telemetry


def quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def timed(run: Callable[[int], object], n: int) -> list[float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        run(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def newcomer(user_id: str, tracks: list[str], history: int, rng: random.Random) -> UserProfile:
    played = rng.sample(tracks, history)
    skipped = set(played[: history // 5])
    events: list[RecentEvent] = []
    for at, track_id in enumerate(played):
        events.insert(0, RecentEvent(track_id, "started", 1e9 + 2 * at))
        kind = "skipped" if track_id in skipped else "finished"
        events.insert(0, RecentEvent(track_id, kind, 1e9 + 2 * at + 1))
    return UserProfile(
        user_id,
        play_count=history,
        skip_count=len(skipped),
        recent_track_ids=tuple(reversed(played)),
        recent_events=tuple(events[:50]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--history", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    args = parser.parse_args()

    os.environ.setdefault("PHILOMATH_LOG_LEVEL", "WARNING")
    settings = Settings(data_dir=args.data_dir, nlu_train=False)
    backends = build_backends(settings)
    backends.ensure_schema()
    if backends.catalog.count() == 0:
        print(f"filling {args.data_dir} (pipeline run)...", file=sys.stderr)
        run_offline(settings, progress=False)
    n = args.requests
    plays = Interactions.from_unified(settings.work_dir / "unified")
    played = sorted({str(plays.track_ids[i]) for i in set(plays.track_idx.tolist())})
    known = [str(u) for u in plays.user_ids if backends.store.get_list(str(u)) is not None]
    rng = random.Random(7)
    newcomers = [newcomer(f"bench-new-{i}", played, args.history, rng) for i in range(n)]
    visitors = [replace(p, user_id=f"bench-visit-{i}") for i, p in enumerate(newcomers)]
    backends.profiles.put_many(visitors)

    def fresh_live() -> LiveLists:
        live = build_live_lists(settings, Telemetry())
        assert isinstance(live, LiveLists), "live lists are off (PHILOMATH_LIVE_MIN_TRACKS=0?)"
        return live

    before_mb = resident_mb()
    started = time.perf_counter()
    live = fresh_live()
    assert live.warm(), "nothing promoted: the charts' model cannot fold anyone in"
    load_s = time.perf_counter() - started
    model_mb = resident_mb() - before_mb
    version = live.list_for(newcomers[0])
    assert version is not None
    newcomers = newcomers[1:] + newcomers[:1]  # the first one is kept already: last

    def store_read(i: int) -> object:
        return backends.store.get_list(known[i % len(known)])

    def live_list(i: int) -> object:
        return live.list_for(newcomers[i % len(newcomers)])

    for i in range(min(100, n)):  # code paths and the store's pages
        store_read(i)
    results = {
        "store read (baseline)": quantiles(timed(store_read, n)),
        "live list, computed": quantiles(timed(live_list, n)),
        "live list, kept": quantiles(timed(live_list, n)),
    }
    kept_mb = resident_mb() - before_mb - model_mb
    routed = fresh_live()
    routed.warm()
    router = Router(
        backends.store, backends.profiles, backends.cache, catalog=backends.catalog,
        cache_ttl_s=settings.cache_ttl_s, live=routed,
    )  # fmt: skip

    def route(i: int) -> object:
        answer = router.recommend(RecommendationRequest(visitors[i % len(visitors)].user_id))
        assert answer.model_version == version.model_version, answer
        return answer

    results["router, live list computed"] = quantiles(timed(route, n))
    results["router, live list kept"] = quantiles(timed(route, n))
    backends.close()

    base_p50, base_p99 = results["store read (baseline)"]
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {n} requests; model "
        f"{version.model_version} over {len(plays.track_ids)} tracks ({len(played)} played), "
        f"histories of {args.history} tracks (a fifth skipped)"
    )
    print(
        f"# model load {load_s:.2f} s, +{model_mb:.0f} MB resident; "
        f"{n} kept lists +{kept_mb:.0f} MB"
    )
    print("| stage | p50 ms | p99 ms | p50 ratio | p99 ratio |")
    print("| --- | --- | --- | --- | --- |")
    for stage, (p50, p99) in results.items():
        print(
            f"| {stage} | {p50:.3f} | {p99:.3f} | {p50 / base_p50:.1f}x | {p99 / base_p99:.1f}x |"
        )


if __name__ == "__main__":
    main()
