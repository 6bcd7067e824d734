"""ETL: the two teams' raw feeds into the unified schema, with DuckDB.

Output under ``work_dir``::

    unified/users.parquet, tracks.parquet, interactions.parquet
    quarantine/<feed>.parquet   every row not kept: reason, source, row_no, record, detail
    quality_report.json         row counts, quarantine counts per reason, flags, checks

Nothing is dropped silently: a row is either in a unified table or in quarantine with a
reason (duplicates included). Values that are wrong but do not cost the row (an energy of
1.7, an impossible birth year) become NULL and are counted as flags.
"""

from __future__ import annotations

import gzip
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
from tqdm import tqdm

from recommender.data.quality import (
    QualityCheck,
    QualityRules,
    checks_as_json,
    evaluate,
    raise_on_failure,
    write_report,
)
from recommender.data.sql import connect, sql_string
from recommender.data.unify import (
    ALBUM_COLUMNS,
    ARTIST_COLUMNS,
    EVENT_COLUMNS,
    TRACK_COLUMNS,
    FeedPaths,
    install_macros,
    record_sql,
    unify_catalog,
    unify_events,
    unify_users,
)
from recommender.errors import DataError

FEEDS = ("artists", "albums", "tracks", "users", "events")
UNIFIED_COLUMNS: dict[str, tuple[str, str, str]] = {
    # table: (source table, columns, order)
    "users": (
        "users_checked",
        "user_id, country, birth_year, gender, explicit_allowed, "
        "signed_up_at, stated_genres, stated_moods",
        "user_id",
    ),
    "tracks": (
        "tracks_checked",
        "track_id, title, artist_id, artist_name, album_id, "
        "album_title, genre, moods, duration_ms, explicit, release_year, energy, "
        "valence, tempo, acousticness, danceability",
        "track_id",
    ),
    "interactions": (
        "events_checked",
        "event_id, user_id, track_id, event_time, ms_played, end_reason, device, confidence",
        "event_time, event_id",
    ),
}


@dataclass(frozen=True, slots=True)
class EtlReport:
    """What one ETL run read, kept, quarantined and flagged."""

    raw_rows: dict[str, int]  # per feed, every row read (rejected lines included)
    unified_rows: dict[str, int]  # users, tracks, interactions
    quarantined: dict[str, dict[str, int]]  # feed -> reason -> rows
    flagged: dict[str, dict[str, int]]  # feed -> flag -> kept rows with a value nulled
    checks: tuple[QualityCheck, ...]
    unified_dir: Path
    quarantine_dir: Path
    report_path: Path
    seconds: float

    @property
    def quarantined_total(self) -> int:
        return sum(sum(reasons.values()) for reasons in self.quarantined.values())


def run_etl(
    raw_dir: Path,
    work_dir: Path,
    *,
    progress: bool = True,
    rules: QualityRules | None = None,
) -> EtlReport:
    """Map both feeds into ``work_dir/unified``; raise ``DataError`` when a hard rule breaks."""
    started = time.perf_counter()
    paths = FeedPaths.under(raw_dir)
    _check_feeds(paths)
    unified_dir, quarantine_dir = work_dir / "unified", work_dir / "quarantine"
    for folder in (unified_dir, quarantine_dir, work_dir / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
    root = str(raw_dir) + "/"
    steps = (
        ("catalog", lambda con: unify_catalog(con, paths, root)),
        ("user profiles", lambda con: unify_users(con, paths, root)),
        ("listening events", lambda con: unify_events(con, paths, root)),
        ("write parquet", lambda con: _write_outputs(con, unified_dir, quarantine_dir)),
    )
    con = connect()
    try:
        # Staging tables of an in-memory database spill here once memory_limit is reached.
        con.execute(f"SET temp_directory = {sql_string(work_dir / 'tmp')}")
        install_macros(con)
        bar = tqdm(steps, desc="etl", unit="step", disable=not progress, file=sys.stderr)
        for name, step in bar:
            bar.set_postfix_str(name)
            step(con)
        raw_rows, unified_rows, quarantined, flagged = _counts(con)
    except duckdb.Error as exc:
        raise DataError(f"ETL of {raw_dir} failed: {exc}") from exc
    finally:
        con.close()

    checks = evaluate(raw_rows, unified_rows, quarantined, rules or QualityRules())
    report = EtlReport(
        raw_rows=raw_rows,
        unified_rows=unified_rows,
        quarantined=quarantined,
        flagged=flagged,
        checks=checks,
        unified_dir=unified_dir,
        quarantine_dir=quarantine_dir,
        report_path=work_dir / "quality_report.json",
        seconds=time.perf_counter() - started,
    )
    write_report(
        report.report_path,
        {
            "raw_rows": raw_rows,
            "unified_rows": unified_rows,
            "quarantined": quarantined,
            "flagged": flagged,
            "checks": checks_as_json(checks),
            "quarantine_dir": str(quarantine_dir),
        },
    )
    raise_on_failure(checks, report.report_path)
    return report


def _check_feeds(paths: FeedPaths) -> None:
    """The hand-over contract: files exist and headers name the agreed columns."""
    expected = {
        paths.artists: ARTIST_COLUMNS,
        paths.albums: ALBUM_COLUMNS,
        paths.tracks: TRACK_COLUMNS,
    }
    events = paths.event_files()
    if not events:
        raise DataError(f"no listening event files under {paths.listens}")
    expected.update({path: EVENT_COLUMNS for path in events})
    if not paths.profiles.is_file():
        raise DataError(f"missing feed file {paths.profiles}")
    for path, columns in expected.items():
        if not path.is_file():
            raise DataError(f"missing feed file {path}")
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            header = handle.readline().strip()
        found = tuple(name.strip().strip('"') for name in header.split(","))
        if found != columns:
            raise DataError(f"{path}: header {found} is not the agreed {columns}")


def _write_outputs(con: duckdb.DuckDBPyConnection, unified_dir: Path, quarantine_dir: Path) -> None:
    for name, (table, columns, order) in UNIFIED_COLUMNS.items():
        con.execute(
            f"COPY (SELECT {columns} FROM {table} WHERE reason IS NULL ORDER BY {order}) "
            f"TO {sql_string(unified_dir / f'{name}.parquet')} (FORMAT parquet, COMPRESSION zstd)"
        )
    for feed in FEEDS:
        con.execute(
            f"COPY ({_quarantine_sql(feed)} ORDER BY source, row_no, reason) "
            f"TO {sql_string(quarantine_dir / f'{feed}.parquet')} "
            "(FORMAT parquet, COMPRESSION zstd)"
        )


def _quarantine_sql(feed: str) -> str:
    return (
        "SELECT * FROM (SELECT c.reason, c.source, c.row_no::BIGINT AS row_no, "
        f"{record_sql(feed, 'r')}::VARCHAR AS record, NULL::VARCHAR AS detail "
        f"FROM {feed}_checked c JOIN {feed}_raw r USING (row_no) WHERE c.reason IS NOT NULL "
        f"UNION ALL SELECT reason, source, row_no::BIGINT, record::VARCHAR, detail "
        f"FROM {feed}_rejects)"
    )


def _counts(
    con: duckdb.DuckDBPyConnection,
) -> tuple[dict[str, int], dict[str, int], dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    raw_rows: dict[str, int] = {}
    quarantined: dict[str, dict[str, int]] = {}
    flagged: dict[str, dict[str, int]] = {}
    for feed in FEEDS:
        rows = con.execute(
            f"SELECT reason, count(*) FROM ({_quarantine_sql(feed)}) GROUP BY reason"
        ).fetchall()
        quarantined[feed] = {str(reason): int(n) for reason, n in sorted(rows)}
        kept = _scalar(con, f"SELECT count(*) FROM {feed}_checked WHERE reason IS NULL")
        raw_rows[feed] = kept + sum(quarantined[feed].values())
        flags = [
            column
            for (column,) in con.execute(
                f"SELECT column_name FROM (DESCRIBE {feed}_checked)"
            ).fetchall()
            if column.startswith("flag_")
        ]
        if flags:
            sums = ", ".join(f"count(*) FILTER (WHERE {flag})" for flag in flags)
            values = (
                con.execute(f"SELECT {sums} FROM {feed}_checked WHERE reason IS NULL").fetchone()
                or ()
            )
            flagged[feed] = {
                flag.removeprefix("flag_"): int(n)
                for flag, n in zip(flags, values, strict=True)
                if n
            }
    unified_rows = {
        name: _scalar(con, f"SELECT count(*) FROM {table} WHERE reason IS NULL")
        for name, (table, _, _) in UNIFIED_COLUMNS.items()
    }
    return raw_rows, unified_rows, quarantined, flagged


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
