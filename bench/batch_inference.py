"""Batch-inference throughput (listeners per second) against a brute-force numpy baseline.

    .venv/bin/python bench/batch_inference.py [--data-dir var/bench] [--users-limit N]

Reads the offline pipeline's outputs in ``--data-dir`` (running the pipeline there first if
they are missing; ``var/``, the demo's, is left alone), fits the charts' model
(``popularity.v1``), then, for the same listeners, the same model and the same exclusions
(what each heard; explicit tracks for restricted listeners; tracks the catalog lacks):

- brute force (baseline): per listener, a copy of the score vector, the exclusions set to
  -inf, ``argpartition`` for the top n, a sort: the obvious numpy loop;
- batched top-n: ``ModelLists.top`` in batches of 2,048 listeners, as batch inference runs it;
- full listener lists: ``ListBuilder.user_lists``: the overall list, the leading-context lists
  and the new-track list (content similarity) of every listener, built, not written;
- full run: ``BatchInference.run_full`` into a fresh SQLite store: charts, every listener's
  lists, snapshot published.

Checks that the brute-force and batched lists are identical, then prints listeners per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from philomath.offline import run_offline
from philomath.settings import Settings
from recommender.batch.inference import BatchInference
from recommender.batch.lists import ListBuilder, ListSettings
from recommender.batch.promoted_model import ModelLists
from recommender.data.etl import unified
from recommender.data.interactions import Interactions
from recommender.data.sparse import user_items_matrix
from recommender.models.popularity import PopularityModel
from recommender.storage.sqlite_profiles import SqliteProfileStore
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore

N = 100
BATCH = 2_048


def brute_force(
    scores: np.ndarray, heard: list[np.ndarray], banned: list[np.ndarray], n: int
) -> np.ndarray:
    out = np.full((len(heard), n), -1, dtype=np.int64)
    for row, (mine, ban) in enumerate(zip(heard, banned, strict=True)):
        candidate = np.where(scores > 0, scores, -np.inf)
        candidate[mine] = -np.inf
        candidate[ban] = -np.inf
        top = np.argpartition(-candidate, n)[:n]
        top = top[np.lexsort((top, -candidate[top]))]
        top = top[np.isfinite(candidate[top])]
        out[row, : len(top)] = top
    return out


def seconds(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--users-limit", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("PHILOMATH_LOG_LEVEL", "WARNING")
    settings = Settings(data_dir=args.data_dir)
    tables = args.data_dir / "work" / "unified"
    if not (tables / "interactions.parquet").is_file():
        print(f"filling {args.data_dir} (pipeline run)...", file=sys.stderr)
        run_offline(settings, progress=False)
    plays = Interactions.from_unified(tables)
    tracks = list(unified.tracks(tables))
    user_items = user_items_matrix(plays)
    model = PopularityModel(plays).fit(user_items)
    lists = ModelLists(model, user_items)
    profiles = SqliteProfileStore(settings.data_dir / "profiles.db")
    users = np.arange(len(plays.user_ids) if args.users_limit is None else args.users_limit)
    owned = profiles.get_many([str(plays.user_ids[u]) for u in users])
    builder = ListBuilder(lists, plays, tracks, ListSettings(per_user=N), time.time())
    allowed = np.array(
        [(p := owned.get(str(plays.user_ids[u]))) is None or p.explicit_allowed for u in users]
    )
    seen = plays.seen()
    heard = [seen.row(int(u)) for u in users]
    bans = {True: builder.unavailable, False: builder.restricted_ban}
    banned = [bans[bool(flag)] for flag in allowed]

    baseline: np.ndarray = np.empty(0)

    def run_baseline() -> None:
        nonlocal baseline
        baseline = brute_force(model.item_scores, heard, banned, N)

    batched = np.full((len(users), N), -1, dtype=np.int64)

    def run_batched() -> None:
        for start in range(0, len(users), BATCH):
            chunk = users[start : start + BATCH]
            exclude = seen.take(chunk)
            for flag, ban in bans.items():
                rows = np.flatnonzero(allowed[start : start + BATCH] == flag)
                if len(rows):
                    batched[start + rows], _ = lists.top(
                        chunk[rows], N, exclude.take(rows), banned=ban
                    )

    def run_lists() -> None:
        for start in range(0, len(users), BATCH):
            for _ in builder.user_lists(users[start : start + BATCH], owned):
                pass

    results = {
        "brute force, overall list (baseline)": seconds(run_baseline),
        "batched top-n, overall list": seconds(run_batched),
        "every listener list (overall, contexts, new)": seconds(run_lists),
    }
    if not np.array_equal(baseline, batched):
        raise SystemExit("the batched lists differ from the brute-force ones")
    with tempfile.TemporaryDirectory() as scratch:
        store = SqliteRecommendationStore(Path(scratch) / "recs.db")
        store.ensure_schema()
        batch = BatchInference(lists, plays, tracks, store, profiles, None, ListSettings(N))
        results["full run into SQLite (charts, lists, publish)"] = seconds(batch.run_full)
        store.close()
    profiles.close()

    print(
        f"# {datetime.now(UTC):%Y-%m-%d}, {platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, {len(users)} listeners, "
        f"{len(plays.track_ids)} tracks, {len(plays)} plays, top {N}"
    )
    base = len(users) / results["brute force, overall list (baseline)"]
    print("| stage | seconds | listeners/s | vs baseline |")
    print("| --- | --- | --- | --- |")
    for name, took in results.items():
        rate = len(users) / took
        print(f"| {name} | {took:.2f} | {rate:,.0f} | {rate / base:.1f}x |")


if __name__ == "__main__":
    main()
