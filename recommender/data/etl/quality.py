"""Data-quality rules over an ETL run, and the report that records them.

Hard rules fail the run with ``DataError`` (after the report is written, so it can be read):
an empty catalog or listener base, or too large a share of any feed quarantined. Flags (values
nulled without costing the row) are reported, never fatal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from recommender.errors import DataError


@dataclass(frozen=True, slots=True)
class QualityRules:
    max_quarantined_share: float = 0.20  # per feed
    min_tracks: int = 1
    min_users: int = 1


@dataclass(frozen=True, slots=True)
class QualityCheck:
    name: str
    passed: bool
    detail: str


def evaluate(
    raw_rows: Mapping[str, int],
    unified_rows: Mapping[str, int],
    quarantined: Mapping[str, Mapping[str, int]],
    rules: QualityRules,
) -> tuple[QualityCheck, ...]:
    checks = [
        QualityCheck(
            "tracks_present",
            unified_rows.get("tracks", 0) >= rules.min_tracks,
            f"{unified_rows.get('tracks', 0)} tracks kept (need {rules.min_tracks})",
        ),
        QualityCheck(
            "users_present",
            unified_rows.get("users", 0) >= rules.min_users,
            f"{unified_rows.get('users', 0)} users kept (need {rules.min_users})",
        ),
    ]
    for feed, rows in sorted(raw_rows.items()):
        lost = sum(quarantined.get(feed, {}).values())
        share = lost / rows if rows else 0.0
        checks.append(
            QualityCheck(
                f"{feed}_quarantined_share",
                share <= rules.max_quarantined_share,
                f"{lost} of {rows} rows quarantined ({share:.2%}, "
                f"limit {rules.max_quarantined_share:.0%})",
            )
        )
    return tuple(checks)


def write_report(path: Path, report: Mapping[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True, default=str) + "\n")


def checks_as_json(checks: tuple[QualityCheck, ...]) -> list[dict[str, object]]:
    return [asdict(check) for check in checks]


def raise_on_failure(checks: tuple[QualityCheck, ...], report_path: Path) -> None:
    failed = [check for check in checks if not check.passed]
    if failed:
        details = "; ".join(f"{check.name}: {check.detail}" for check in failed)
        raise DataError(f"data-quality checks failed ({details}); see {report_path}")
