"""Part-of-day lists against the all-day list, on held-out plays of that part of the day.

    .venv/bin/python bench/time_of_day.py \
        [--log ../shared/data/mssd-log-sample/log_very_small.csv] [--k 10] [--min-plays 20]

Real data: a Spotify Music Streaming Sessions Dataset (MSSD) log (``session_id``,
``session_position``, ``track_id_clean``, ``skip_2``, ``hour_of_day``, ``date``), the only
real play log in shared/ with an hour of the day (Last.fm HetRec has dates at best). MSSD
has no listener ids: each session stands for a listener. Its hour is taken as the listener's
local hour (MSSD does not say which clock; UTC is assumed, so zone None).

Protocol: plays sorted by time; the last ``--test-share`` are held out (the report), the last
``--tune-share`` of the rest tune the re-rank's ``weight`` (the tuning part, never the test).
Lists are built by the project's own code path: the charts' popularity model as the promoted
model (``ModelLists``), ``ListBuilder.user_lists`` writing ``all`` and ``part:<part>`` lists.
For each part of the day and each listener who got a list for it, both lists are scored on
the listener's held-out plays in that part: NDCG@k and recall@k, with a paired bootstrap 95%
interval of the difference and the counts.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from playback.catalog import Track
from playback.day_parts import PARTS_OF_DAY, part_of_hour
from recommender.batch.charts import chart_model
from recommender.batch.day_parts import PartSettings
from recommender.batch.lists import ListBuilder, ListSettings
from recommender.batch.promoted_model import ModelLists
from recommender.data.interactions import Interactions
from recommender.data.sparse import user_items_matrix
from recommender.evaluation.metrics import ranking_metrics
from recommender.storage.recommendations import part_context

DEFAULT_LOG = Path("/work/shared/data/mssd-log-sample/log_very_small.csv")
WEIGHTS = (0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True, slots=True)
class Play:
    user: str
    track: str
    time_s: float
    skipped: bool


def load_mssd(path: Path) -> list[Play]:
    plays = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            day = datetime.datetime.strptime(row["date"], "%d-%m-%y").replace(tzinfo=datetime.UTC)
            hour, position = int(row["hour_of_day"]), int(row["session_position"])
            time_s = day.timestamp() + hour * 3600 + position  # position keeps the order
            plays.append(
                Play(row["session_id"], row["track_id_clean"], time_s, row["skip_2"] == "True")
            )
    return sorted(plays, key=lambda p: (p.time_s, p.user))


def interactions(plays: Sequence[Play], users: list[str], tracks: list[str]) -> Interactions:
    user_of = {u: i for i, u in enumerate(users)}
    track_of = {t: i for i, t in enumerate(tracks)}
    return Interactions(
        user_ids=np.array(users),
        track_ids=np.array(tracks),
        user_idx=np.array([user_of[p.user] for p in plays], dtype=np.int64),
        track_idx=np.array([track_of[p.track] for p in plays], dtype=np.int64),
        confidence=np.array([0.2 if p.skipped else 1.0 for p in plays]),
        event_time=np.array([p.time_s for p in plays]),
        end_reason=np.array([2 if p.skipped else 0 for p in plays], dtype=np.int8),
    )


@dataclass
class PartResult:
    part: str
    listeners: int
    held_out: int
    ndcg_all: float
    ndcg_part: float
    recall_all: float
    recall_part: float
    ndcg_gain_ci: tuple[float, float]


def evaluate(
    train: Sequence[Play], test: Sequence[Play], settings: ListSettings, k: int, seed: int = 0
) -> list[PartResult]:
    """Both lists of every listener, built on ``train`` as batch does, scored on ``test``."""
    users = sorted({p.user for p in (*train, *test)})
    tracks = sorted({p.track for p in (*train, *test)})
    plays = interactions(train, users, tracks)
    catalog = [Track(t, t, "unknown-artist", "unknown") for t in tracks]  # MSSD: ids only
    model = ModelLists(chart_model(plays), user_items_matrix(plays))
    builder = ListBuilder(model, plays, catalog, settings, generated_at=0.0)
    lists = {(x.user_id, x.context): x.track_ids for x in builder.user_lists(
        np.arange(len(users), dtype=np.int64), {}
    )}  # fmt: skip
    track_of = {t: i for i, t in enumerate(tracks)}
    held: dict[tuple[str, str], set[int]] = defaultdict(set)
    for p in test:
        part = part_of_hour(datetime.datetime.fromtimestamp(p.time_s, datetime.UTC).hour)
        held[(p.user, part)].add(track_of[p.track])
    results = []
    for part in PARTS_OF_DAY:
        who = [u for u in users if (u, part_context(part)) in lists and held.get((u, part))]
        if not who:
            nan = float("nan")
            results.append(PartResult(part, 0, 0, nan, nan, nan, nan, (nan, nan)))
            continue
        truth = _matrix([held[(u, part)] for u in who], len(tracks))
        scores = {}
        for name, context in (("all", "all"), ("part", part_context(part))):
            ranked = _ranked([lists.get((u, context), ()) for u in who], track_of, k)
            scores[name] = ranking_metrics(ranked, truth, k)
        gain = scores["part"].ndcg - scores["all"].ndcg
        results.append(PartResult(
            part, len(who), int(truth.nnz),
            float(np.nanmean(scores["all"].ndcg)), float(np.nanmean(scores["part"].ndcg)),
            float(np.nanmean(scores["all"].recall)), float(np.nanmean(scores["part"].recall)),
            _bootstrap(gain, seed),
        ))  # fmt: skip
    return results


def _matrix(sets: Sequence[set[int]], n_items: int) -> sp.csr_matrix:
    rows = [r for r, items in enumerate(sets) for _ in items]
    cols = [i for items in sets for i in sorted(items)]
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sets), n_items))


def _ranked(lists: Sequence[Sequence[str]], track_of: dict[str, int], k: int) -> np.ndarray:
    ranked = np.full((len(lists), k), -1, dtype=np.int64)
    for row, ids in enumerate(lists):
        picked = [track_of[t] for t in ids[:k]]
        ranked[row, : len(picked)] = picked
    return ranked


def _bootstrap(gain: np.ndarray, seed: int, rounds: int = 2000) -> tuple[float, float]:
    """Paired bootstrap 95% interval of the mean per-listener gain."""
    rng = np.random.default_rng(seed)
    means = [float(np.mean(rng.choice(gain, len(gain)))) for _ in range(rounds)]
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _split(plays: Sequence[Play], share: float) -> tuple[list[Play], list[Play]]:
    cut = int(round(len(plays) * (1 - share)))
    return list(plays[:cut]), list(plays[cut:])


def _mean_gain(results: Sequence[PartResult]) -> float:
    gains = [r.ndcg_part - r.ndcg_all for r in results if r.listeners]
    return float(np.mean(gains)) if gains else float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG.resolve())
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--min-plays", type=int, default=PartSettings().min_plays)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--tune-share", type=float, default=0.2)
    args = parser.parse_args(argv)

    plays = load_mssd(args.log)
    rest, test = _split(plays, args.test_share)
    fit, tune = _split(rest, args.tune_share)
    base = ListSettings(per_user=100, new_per_user=0)

    def settings(weight: float) -> ListSettings:
        return replace(base, day_parts=PartSettings(min_plays=args.min_plays, weight=weight))

    tuned = {w: _mean_gain(evaluate(fit, tune, settings(w), args.k)) for w in WEIGHTS}
    known = {w: g for w, g in tuned.items() if not np.isnan(g)}
    weight = max(known, key=lambda w: known[w]) if known else PartSettings().weight
    results = evaluate(rest, test, settings(weight), args.k)

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"- machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
          f"{platform.python_version()}; date: {now}")  # fmt: skip
    listeners = len({p.user for p in plays})
    parts_per_listener = defaultdict(set)
    for p in plays:
        hour = datetime.datetime.fromtimestamp(p.time_s, datetime.UTC).hour
        parts_per_listener[p.user].add(part_of_hour(hour))
    spanning = sum(len(v) > 1 for v in parts_per_listener.values())
    print(f"- data: {args.log.name}: {len(plays)} plays, {listeners} listeners (sessions), "
          f"{len({p.track for p in plays})} tracks; {spanning} listeners play in more than "
          f"one part of the day")  # fmt: skip
    print(f"- split: {len(fit)} fit / {len(tune)} tune / {len(test)} test plays (by time); "
          f"min plays per part {args.min_plays}")  # fmt: skip
    print(f"- tuning (mean NDCG@{args.k} gain on the tune part, per weight): "
          + ", ".join(f"{w}: {g:+.4f}" for w, g in tuned.items())
          + f"; chosen weight {weight}")  # fmt: skip
    print()
    print(f"| part | listeners | held-out plays | NDCG@{args.k} all-day | NDCG@{args.k} part "
          f"| recall@{args.k} all-day | recall@{args.k} part | NDCG gain 95% CI |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r.part} | {r.listeners} | {r.held_out} | {r.ndcg_all:.4f} | "
              f"{r.ndcg_part:.4f} | {r.recall_all:.4f} | {r.recall_part:.4f} | "
              f"[{r.ndcg_gain_ci[0]:+.4f}, {r.ndcg_gain_ci[1]:+.4f}] |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
