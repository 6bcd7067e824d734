"""Listeners who exist only through live plays reach training: the skill mints their ids (the
identity store), so the team's profile feed never has them. The ETL keeps their archived
plays and adds them to the unified users with unknown demographics; the team's own events
for a listener it has no profile of stay quarantined."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from recommender.data.etl import unified
from recommender.data.etl.quality import QualityRules
from recommender.data.etl.run import EtlReport, run_etl
from recommender.storage.listen_archive import LIVE_LISTENS_DIR, ListenRow
from recommender.storage.local_listen_archive import LocalListenArchive
from recommender.storage.profiles import UserProfile
from tests.pipeline.test_etl_quarantine import EVENTS, PROFILES, write_feed
from tests.pipeline.test_pipeline_resume import World

LENIENT = QualityRules(max_quarantined_share=1.0)  # the hand-written feed is mostly broken
T0 = 1_790_000_000_000


def play(event_id: str, user: str, track: str, n: int = 0) -> ListenRow:
    return ListenRow(event_id, user, track, T0 + n * 1000, 200_000, "finished", "alexa")


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    return duckdb.connect().execute(sql.replace("{}", f"'{path}'")).fetchall()


# The team's feed also sends an event of V1, an id it has no profile of.
TEAM_EVENTS = EVENTS + "E20,V1,T1,1783001100000,1000,finished,echo\n"


def write_live_feed(root: Path) -> Path:
    """The hand-written feed, and live partitions: plays of V1 and V2 (listeners the team's
    profile feed does not have) and of U1 (one it has)."""
    raw = write_feed(root, events=TEAM_EVENTS)
    archive = LocalListenArchive(raw / LIVE_LISTENS_DIR)
    archive.write_page("0", "1", [play("L1", "V1", "T1"), play("L2", "U1", "T2", 1)])
    archive.write_page("1", "7", [play("L3", "V1", "T2", 2), play("L4", "V2", "T3", 3)])
    return raw


@pytest.fixture
def report(tmp_path: Path) -> EtlReport:
    return run_etl(
        write_live_feed(tmp_path / "raw"), tmp_path / "work", progress=False, rules=LENIENT
    )


def test_live_only_listeners_join_the_users_with_unknown_demographics(report: EtlReport) -> None:
    users = {
        row[0]: row[1:]
        for row in rows(
            report.unified_dir / "users.parquet",
            "SELECT user_id, country, birth_year, gender, explicit_allowed, signed_up_at, "
            "stated_genres, stated_moods FROM {}",
        )
    }
    assert sorted(users) == ["U1", "U2", "U4", "V1", "V2"]  # U1 once: the team's profile
    for listener in ("V1", "V2"):
        assert users[listener] == (None, None, None, False, None, [], [])
    assert users["U1"][:3] == ("SE", 1990, "female")
    assert report.live_only_users == 2 and report.unified_rows["users"] == 5
    # Not feed rows and not data problems: the profile feed's figures are unchanged.
    assert report.raw_rows["users"] == len(PROFILES)
    assert report.quarantined["users"] == {
        "duplicate_user_id": 1,
        "missing_user_id": 1,
        "unparseable_json": 2,
    }
    assert report.flagged["users"] == {
        "birth_year_invalid": 1,
        "signup_ts_invalid": 1,
        "country_missing": 1,
        "explicit_filter_missing": 1,
    }
    written = json.loads(report.report_path.read_text())
    assert written["live_only_users"] == 2


def test_their_live_plays_are_kept_and_team_events_of_unknown_users_are_not(
    report: EtlReport,
) -> None:
    plays = dict(
        rows(report.unified_dir / "interactions.parquet", "SELECT event_id, user_id FROM {}")
    )
    assert plays == {
        "E1": "U1",
        "E2": "U1",
        "E10": "U2",
        "L1": "V1",
        "L2": "U1",
        "L3": "V1",
        "L4": "V2",
    }
    lost = {
        json.loads(record)["event_id"]: reason
        for reason, record in rows(
            report.quarantine_dir / "events.parquet", "SELECT reason, record FROM {}"
        )
    }
    assert lost["E4"] == lost["E11"] == lost["E20"] == "unknown_user"  # E20: V1 in the team feed
    assert not {"L1", "L2", "L3", "L4"} & set(lost)
    assert report.quarantined["events"]["unknown_user"] == 3


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.close()


def test_a_crowd_of_live_only_listeners_passes_the_etl_and_gets_lists(world: World) -> None:
    first = world.run()
    tracks = [t.track_id for t in unified.tracks(world.work / "unified")]
    listeners = [f"voice-{n}" for n in range(3)]
    # More live plays than the 20% quarantine limit allows: as unknown users they failed the run.
    many = first.etl.raw_rows["events"] // 3
    archive = LocalListenArchive(world.raw / LIVE_LISTENS_DIR)
    plays = [
        play(f"live-{n}", listeners[n % 3], tracks[(n * 7) % len(tracks)], n) for n in range(many)
    ]
    archive.write_page("0", "1", plays)
    # What the live profile already knows (the identity store's country, a like) is kept.
    world.profiles.put_many([UserProfile("voice-0", country="SE", liked_track_ids=(tracks[0],))])

    again = world.run()

    assert again.etl.live_only_users == 3
    assert again.etl.quarantined["events"].get("unknown_user", 0) == first.etl.quarantined[
        "events"
    ].get("unknown_user", 0)
    assert again.etl.unified_rows["interactions"] == first.etl.unified_rows["interactions"] + many
    known = {p.user_id: p for p in unified.profiles(world.work / "unified")}
    for listener in listeners:
        assert known[listener].play_count == len(plays[listeners.index(listener) :: 3])
        assert world.store.get_list(listener) is not None, listener
        stored = world.profiles.get(listener)
        assert stored is not None and stored.play_count == known[listener].play_count
    kept = world.profiles.get("voice-0")
    assert kept is not None
    assert kept.country == "SE" and kept.liked_track_ids == (tracks[0],)
    assert kept.explicit_allowed is False  # unknown explicit filter: hidden, to be safe
