"""The Last.fm protocol's run as a person reads it: a plain-text table (``format_table``) and
an HTML report with plots (``write_lastfm_report``), by default at
``<PHILOMATH_DATA_DIR>/reports/lastfm-2k-seed<N>-<UTC time>.html`` (``default_report_path``).
``philomath evaluate`` prints the one and writes the other.

Importing this module loads no numerical library (the online path's CLI imports it); the
protocol loads when a report is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommender.evaluation.lastfm_protocol import LastfmRun

_COLUMNS = ("precision", "recall", "ndcg", "map")


def default_report_path(reports_dir: Path, seed: int, now: datetime | None = None) -> Path:
    stamp = f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}"
    return reports_dir / f"lastfm-2k-seed{seed}-{stamp}.html"


def write_lastfm_report(path: Path, run: LastfmRun) -> Path:
    """The run's HTML report (metrics by k, models side by side, segments)."""
    from recommender.evaluation.lastfm_protocol import BEST_MODEL
    from recommender.evaluation.report import EvaluationReport, write_report

    facts = {
        "dataset": "Last.fm HetRec 2011 (hetrec2011-lastfm-2k), artists as items",
        "protocol": "users with 5+ artists; 20% of each user's artists held out at random; "
        "training artists excluded from rankings; binary relevance",
        "seed": str(run.seed),
        "data": f"{run.users:,} users, {run.artists:,} artists, "
        f"{run.train_interactions:,} train / {run.test_interactions:,} test interactions",
    }
    labels = {result.label for result in run.results}
    return write_report(
        path,
        EvaluationReport(
            title=f"Last.fm 2k evaluation, seed {run.seed}",
            results=run.results,
            k=run.k,
            facts=facts,
            chosen=BEST_MODEL if BEST_MODEL in labels else None,
            baseline="popularity",
        ),
    )


def format_table(run: LastfmRun) -> str:
    """A plain-text table: one model per line, metrics at k, coverage, novelty, fit time."""
    k = run.k
    header = (
        f"{'model':<14}{'version':<16}"
        + "".join(f"{name[:4].upper() + '@' + str(k):>10}" for name in _COLUMNS)
        + f"{'coverage':>10}{'novelty':>9}{'pop.bias':>9}{'fit s':>9}"
    )
    lines = [
        f"Last.fm 2k, seed {run.seed}: {run.users} users, {run.artists} artists, "
        f"{run.train_interactions} train / {run.test_interactions} test interactions",
        header,
    ]
    for result in run.results:
        m = result.metrics
        lines.append(
            f"{result.label:<14}{result.version:<16}"
            + "".join(f"{m[f'{name}@{k}']:>10.4f}" for name in _COLUMNS)
            + f"{m['coverage']:>10.4f}{m['novelty']:>9.2f}{m['popularity_bias']:>9.3f}"
            + f"{result.fit_seconds:>9.2f}"
        )
    return "\n".join(lines)
