"""ETL on a hand-written feed whose every broken row is known: each one is accounted for."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from recommender.data.etl.quality import QualityRules
from recommender.data.etl.run import EtlReport, run_etl
from recommender.errors import DataError

ARTISTS = """artist_id,name,country
AR1,The Quiet Harbor,SE
AR2,Neon Pilots,US
AR1,Duplicate Harbor,SE
"""
ALBUMS = """album_id,artist_id,album_title,release_year,track_count
AL1,AR1,First Light,2019,3
AL2,AR2,Night Drive,2022,2
"""
TRACK_HEADER = (
    "trackId,trackTitle,artistRef,albumRef,genre,moodTags,durationSec,isExplicit,"
    "releaseYear,energy,valence,tempo,acousticness,danceability\n"
)
TRACKS = (
    TRACK_HEADER
    + """T1,Morning Tide,AR1,AL1,ambient,Relaxing,240,N,2019,0.2,0.4,80,0.9,0.3
T2,Slow River,AR1,AL1, Folk ,Chill|Summer Hits,200,N,2019,1.7,0.2,90,0.8,0.4
T3,City Lights,AR2,AL2,POP,,180,Y,2022,0.8,0.8,120,N/A,0.8
T4,Backwards,AR2,AL2,pop,,-200,N,2022,0.5,0.5,100,0.5,0.5
,Nameless,AR2,AL2,pop,,200,N,2022,0.5,0.5,100,0.5,0.5
T1,Morning Tide Again,AR1,AL1,ambient,,240,N,2019,0.2,0.4,80,0.9,0.3
T6,Ghost Artist,AR9,AL2,pop,,200,N,2022,0.5,0.5,100,0.5,0.5
T7,Too,Many,Columns,pop,,200,N,2022,0.5,0.5,100,0.5,0.5,0.1,extra
T8,Night Drive,AR2,AL2,rock,,210,maybe,2022,0.9,0.3,150,0.1,0.5
"""
)
PROFILES = [
    '{"userId": "U1", "countryCode": "se", "birthYear": 1990, "gender": "Female", '
    '"signupTs": "2024-01-02T10:00:00+01:00", '
    '"preferences": {"genres": [" Folk", "Pop"], "moods": ["chill", "vibes"]}, '
    '"explicitFilter": false}',
    '{"userId": "U2", "countryCode": "US", "birthYear": 1850, "gender": null, '
    '"signupTs": "last tuesday", "preferences": {"genres": [], "moods": []}, '
    '"explicitFilter": true}',
    '{"userId": "U3", "countryCode": "DE", "birthYear": 19',
    '{"countryCode": "DE", "birthYear": 1999}',
    '{"userId": "U1", "countryCode": "SE", "birthYear": 1991}',
    "[1, 2, 3]",
    '{"userId": "U4", "countryCode": "", "birthYear": 2001, "preferences": {}}',
]
EVENTS = """event_id,user_id,track_id,ts_ms,ms_played,end_reason,device
E1,U1,T1,1783000000000,239000,finished,echo
E2,U1,T2,1783000100000,10000,skipped,echo
E2,U1,T2,1783000100000,10000,skipped,echo
E3,U1,T999,1783000200000,1000,finished,echo
E4,U999,T1,1783000300000,1000,finished,echo
E5,U1,T1,yesterday,1000,finished,echo
E6,U1,T1,1783000400000,-5,finished,echo
E7,U1,T1,1783000500000,1000,N/A,echo
E8,U1,T4,1783000600000,1000,finished,echo
,U1,T1,1783000700000,1000,finished,echo
E10,U2,T3,1783000800000,90000,STOPPED ,web
E11,U3,T1,1783000900000,1000,finished,echo
E12,U1,T1,1783001000000,1000,paused,echo
E13,U1,T1,12,1000,finished,echo
"""
EXPECTED_EVENTS = {
    "E2": "duplicate_event",
    "E3": "unknown_track",
    "E4": "unknown_user",
    "E5": "malformed_timestamp",
    "E6": "negative_ms_played",
    "E7": "missing_end_reason",
    "E8": "track_quarantined",
    "": "missing_event_id",
    "E11": "unknown_user",  # U3's profile line is broken, so U3 is unknown
    "E12": "invalid_end_reason",
    "E13": "malformed_timestamp",
}


def write_feed(root: Path, events: str = EVENTS) -> Path:
    (root / "catalog").mkdir(parents=True)
    (root / "catalog" / "artists.csv").write_text(ARTISTS)
    (root / "catalog" / "albums.csv").write_text(ALBUMS)
    (root / "catalog" / "tracks.csv").write_text(TRACKS)
    listens = root / "personalization" / "listens" / "dt=2026-07-02"
    listens.mkdir(parents=True)
    (root / "personalization" / "user_profiles.jsonl").write_text("\n".join(PROFILES) + "\n")
    (listens / "part-0.csv.gz").write_bytes(gzip.compress(events.encode(), mtime=0))
    return root


def quarantine(report: EtlReport, feed: str) -> list[tuple[str, str]]:
    path = report.quarantine_dir / f"{feed}.parquet"
    return [
        (str(r), str(rec))
        for r, rec in duckdb.connect().execute(f"SELECT reason, record FROM '{path}'").fetchall()
    ]


def unified(report: EtlReport, table: str, columns: str) -> list[tuple[Any, ...]]:
    path = report.unified_dir / f"{table}.parquet"
    return duckdb.connect().execute(f"SELECT {columns} FROM '{path}'").fetchall()


@pytest.fixture
def report(tmp_path: Path) -> EtlReport:
    # Most of this feed is broken on purpose: lift the share limit to inspect the result.
    lenient = QualityRules(max_quarantined_share=1.0)
    return run_etl(write_feed(tmp_path / "raw"), tmp_path / "work", progress=False, rules=lenient)


def test_every_broken_event_is_quarantined_with_its_reason(report: EtlReport) -> None:
    found = {
        json.loads(record)["event_id"] or "": reason
        for reason, record in quarantine(report, "events")
    }
    assert found == EXPECTED_EVENTS
    kept = sorted(str(e) for (e,) in unified(report, "interactions", "event_id"))
    assert kept == ["E1", "E10", "E2"]  # E2 once: its second copy is the duplicate
    assert report.quarantined["events"] == {
        reason: list(EXPECTED_EVENTS.values()).count(reason)
        for reason in set(EXPECTED_EVENTS.values())
    }
    assert report.raw_rows["events"] == 14


def test_broken_catalog_and_profile_rows_are_quarantined(report: EtlReport) -> None:
    tracks = {reason for reason, _ in quarantine(report, "tracks")}
    assert tracks == {
        "negative_duration",
        "missing_track_id",
        "duplicate_track_id",
        "unknown_artist",
        "malformed_csv_row",
    }
    assert report.quarantined["tracks"] == {reason: 1 for reason in tracks}
    assert [reason for reason, _ in quarantine(report, "artists")] == ["duplicate_artist_id"]
    users = sorted(reason for reason, _ in quarantine(report, "users"))
    assert users == ["duplicate_user_id", "missing_user_id", "unparseable_json", "unparseable_json"]
    assert sorted(str(t) for (t,) in unified(report, "tracks", "track_id")) == [
        "T1",
        "T2",
        "T3",
        "T8",
    ]
    assert sorted(str(u) for (u,) in unified(report, "users", "user_id")) == ["U1", "U2", "U4"]


def test_wrong_values_are_nulled_and_flagged_not_dropped(report: EtlReport) -> None:
    tracks = {
        row[0]: row[1:]
        for row in unified(
            report, "tracks", "track_id, genre, energy, acousticness, moods, explicit, duration_ms"
        )
    }
    assert tracks["T2"][:2] == ("folk", None)  # energy 1.7 is not an energy
    assert tracks["T3"][2] is None  # N/A
    assert tracks["T1"][3] == ["relaxing", "focus"]  # tagged relaxing; focus from features
    assert tracks["T2"][3] == ["relaxing"]  # from the "Chill" tag; its energy is unknown
    assert tracks["T8"][4] is True  # "maybe" explicit counts as explicit
    assert tracks["T1"][5] == 240_000
    assert report.flagged["tracks"] == {
        "genre_normalized": 2,
        "energy_invalid": 1,
        "acousticness_missing": 1,
        "explicit_unknown": 1,
        "unknown_mood_tag": 1,
    }
    users = {
        row[0]: row[1:]
        for row in unified(
            report,
            "users",
            "user_id, country, birth_year, explicit_allowed, signed_up_at, "
            "stated_genres, stated_moods, gender",
        )
    }
    assert users["U1"][:3] == ("SE", 1990, True)
    assert users["U1"][4:] == (["folk", "pop"], ["relaxing"], "female")
    assert str(users["U1"][3]) == "2024-01-02 09:00:00+00:00"
    assert users["U2"][1:4] == (None, False, None)
    assert users["U4"][0] is None and users["U4"][2] is False  # no explicitFilter: filtered
    assert report.flagged["users"] == {
        "birth_year_invalid": 1,
        "signup_ts_invalid": 1,
        "country_missing": 1,
        "explicit_filter_missing": 1,
    }


def test_confidence_weights_follow_how_plays_ended(report: EtlReport) -> None:
    weights = dict(unified(report, "interactions", "event_id, confidence"))
    assert weights["E1"] == 1.0
    assert weights["E2"] == pytest.approx(0.05)
    assert weights["E10"] == pytest.approx(0.5)  # stopped half way through a 180 s track


def test_the_quality_report_is_written_with_counts_and_checks(report: EtlReport) -> None:
    written = json.loads(report.report_path.read_text())
    assert written["quarantined"]["events"]["unknown_user"] == 2
    assert written["unified_rows"] == {"users": 3, "tracks": 4, "interactions": 3}
    assert {check["name"] for check in written["checks"]} >= {
        "tracks_present",
        "users_present",
        "events_quarantined_share",
    }


def test_too_many_quarantined_events_fail_the_run(tmp_path: Path) -> None:
    # The hand-written feed loses most of its events: far beyond the 20% limit.
    raw = write_feed(tmp_path / "raw")
    with pytest.raises(DataError, match="events_quarantined_share"):
        run_etl(raw, tmp_path / "work", progress=False)
    written = json.loads((tmp_path / "work" / "quality_report.json").read_text())
    failed = {c["name"] for c in written["checks"] if not c["passed"]}
    assert "events_quarantined_share" in failed
    assert "tracks_present" not in failed


def test_a_feed_that_breaks_the_contract_is_refused(tmp_path: Path) -> None:
    raw = write_feed(tmp_path / "raw", events=EVENTS.replace("ts_ms", "timestamp"))
    with pytest.raises(DataError, match="header"):
        run_etl(raw, tmp_path / "work", progress=False)
    (raw / "catalog" / "tracks.csv").unlink()
    with pytest.raises(DataError, match="tracks.csv"):
        run_etl(raw, tmp_path / "work", progress=False)


def _feed_lines(raw: Path, source: str) -> list[str]:
    path = raw / source
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode().splitlines()


def test_every_quarantined_row_names_its_file_line_and_reason(report: EtlReport) -> None:
    raw = report.unified_dir.parent.parent / "raw"
    for feed in ("artists", "tracks", "users", "events"):
        path = report.quarantine_dir / f"{feed}.parquet"
        rows = duckdb.connect().execute(f"SELECT * FROM '{path}'").fetchall()
        assert rows, feed
        for reason, source, row_no, record, detail in rows:
            assert reason, (feed, row_no)
            lines = _feed_lines(raw, source)
            line = lines[row_no - 1]  # row_no counts lines from 1 (a CSV's header is 1)
            if feed == "users" or reason == "malformed_csv_row":
                assert record == line, (feed, row_no)
            else:
                header = next(csv.reader([lines[0]]))
                values = next(csv.reader([line]))
                written = dict(zip(header, values, strict=True))
                assert json.loads(record) == {k: v or None for k, v in written.items()}
            if reason == "malformed_csv_row":
                assert detail == "expected 14 columns, found 16"


def test_nothing_is_dropped_silently(report: EtlReport) -> None:
    raw = report.unified_dir.parent.parent / "raw"
    sources = {
        "artists": ["catalog/artists.csv"],
        "tracks": ["catalog/tracks.csv"],
        "events": ["personalization/listens/dt=2026-07-02/part-0.csv.gz"],
    }
    kept = {  # artists: AR1 and AR2, once each
        "artists": 2,
        "tracks": report.unified_rows["tracks"],
        "events": report.unified_rows["interactions"],
    }
    for feed, files in sources.items():
        data_rows = sum(len(_feed_lines(raw, source)) - 1 for source in files)
        assert report.raw_rows[feed] == data_rows, feed
        [(quarantined,)] = (
            duckdb.connect()
            .execute(f"SELECT count(*) FROM '{report.quarantine_dir / feed}.parquet'")
            .fetchall()
        )
        assert kept[feed] + quarantined == data_rows, feed
    assert report.raw_rows["users"] == len(PROFILES)
    assert report.unified_rows["users"] + sum(report.quarantined["users"].values()) == len(PROFILES)
