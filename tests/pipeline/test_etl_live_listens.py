"""The ETL reads the archived live plays with the team's listen feed: live plays reach the
unified interactions, each event once, whether it was archived twice (a replayed page under
two names) or also sent by the team; the quality report counts the copies it dropped."""

from __future__ import annotations

from pathlib import Path

import duckdb

from recommender.data.etl.quality import QualityRules
from recommender.data.etl.run import EtlReport, run_etl
from recommender.storage.listen_archive import LIVE_LISTENS_DIR, ListenRow
from recommender.storage.local_listen_archive import LocalListenArchive
from tests.pipeline.test_etl_quarantine import write_feed

LENIENT = QualityRules(max_quarantined_share=1.0)  # the hand-written feed is mostly broken


def live(event_id: str, track: str = "T2", reason: str = "finished") -> ListenRow:
    return ListenRow(event_id, "U1", track, 1_790_000_000_000, 200_000, reason, "alexa")


def kept_events(report: EtlReport) -> list[str]:
    path = report.unified_dir / "interactions.parquet"
    return sorted(
        str(e) for (e,) in duckdb.connect().execute(f"SELECT event_id FROM '{path}'").fetchall()
    )


def test_live_partitions_join_the_team_feed_and_every_event_counts_once(tmp_path: Path) -> None:
    raw = write_feed(tmp_path / "raw")
    archive = LocalListenArchive(raw / LIVE_LISTENS_DIR)
    archive.write_page("0", "1", [live("L1"), live("L2", reason="skipped")])
    archive.write_page("0", "1", [live("L1"), live("L2", reason="skipped")])  # replayed page
    archive.write_page("0", "5", [live("L2", reason="skipped")])  # archived twice under 2 names
    archive.write_page("0", "9", [live("E1", track="T1")])  # also in the team's feed
    report = run_etl(raw, tmp_path / "work", progress=False, rules=LENIENT)
    assert kept_events(report) == ["E1", "E10", "E2", "L1", "L2"]
    # The team feed's 14 rows and the live partitions' 4: two copies dropped as duplicates
    # (E2 was already duplicated in the team's own feed).
    assert report.raw_rows["events"] == 14 + 4
    assert report.quarantined["events"]["duplicate_event"] == 1 + 2


def test_without_live_partitions_the_etl_is_unchanged(tmp_path: Path) -> None:
    report = run_etl(write_feed(tmp_path / "raw"), tmp_path / "work", progress=False, rules=LENIENT)
    assert kept_events(report) == ["E1", "E10", "E2"]
    assert report.raw_rows["events"] == 14
