"""ETL: the two teams' raw feeds into the unified schema, on DuckDB or Apache Spark via Ibis.

Output under ``work_dir``::

    unified/users.parquet, tracks.parquet, interactions.parquet
    quarantine/<feed>.parquet   every row not kept: reason, source (its file), row_no (its line
                                in that file), record (the row as written), detail
    quality_report.json         row counts, quarantine counts per reason, flags, checks, and
                                live_only_users: listeners only live plays introduced

Nothing is dropped silently: a row is either in a unified table or in quarantine with a
reason (duplicates included). Values that are wrong but do not cost the row (an energy of
1.7, an impossible birth year) become NULL and are counted as flags.

The steps: ``raw_feeds`` splits the files into text tables; ``unify`` applies every rule as
Ibis expressions; this module writes the results and the report. ``engine`` picks where the
rules run: ``"duckdb"`` (embedded, the default), ``"pyspark"`` (a local Spark), or any Ibis
backend. On Glue or EMR, pass the job's Spark session::

    from recommender.data.etl.engines import spark_backend

    run_etl(raw_dir, work_dir, engine=spark_backend(spark))

On Spark the executors read the raw files themselves (``spark_feeds.py``) and run the rules;
the executors write the unified tables as Parquet parts, which the driver joins into one file
each, a batch at a time; only quarantined rows and counts are collected. On a cluster of more
than one node, ``raw_dir`` and ``work_dir`` must be storage every node can read.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from ibis.backends import BaseBackend
from tqdm import tqdm

from recommender.data.etl.engines import (
    EngineName,
    LoadedFeeds,
    connect,
    engine_errors,
    load_feeds,
)
from recommender.data.etl.quality import (
    QualityCheck,
    QualityRules,
    checks_as_json,
    evaluate,
    raise_on_failure,
    write_report,
)
from recommender.data.etl.raw_feeds import CSV_COLUMNS, REJECT_SCHEMA, FeedPaths, check_feeds
from recommender.data.etl.unify import UNIFIED_SCHEMAS, UNIFIED_SOURCE, CheckedFeeds, unify_feeds
from recommender.errors import DataError

FEEDS = ("artists", "albums", "tracks", "users", "events")
_MERGE_BATCH_ROWS = 262_144  # rows per batch when joining Spark's parts into one file


@dataclass(frozen=True, slots=True)
class EtlReport:
    """What one ETL run read, kept, quarantined and flagged."""

    raw_rows: dict[str, int]  # per feed, every row read (rejected lines included)
    unified_rows: dict[str, int]  # users, tracks, interactions
    quarantined: dict[str, dict[str, int]]  # feed -> reason -> rows
    flagged: dict[str, dict[str, int]]  # feed -> flag -> kept rows with a value nulled
    live_only_users: int  # unified users known only from live plays (in no feed's rows)
    checks: tuple[QualityCheck, ...]
    unified_dir: Path
    quarantine_dir: Path
    report_path: Path
    seconds: float

    @property
    def quarantined_total(self) -> int:
        return sum(sum(reasons.values()) for reasons in self.quarantined.values())


@dataclass(frozen=True, slots=True)
class _Counts:
    kept: dict[str, int]
    quarantined: dict[str, dict[str, int]]
    flagged: dict[str, dict[str, int]]
    live_only_users: int


def run_etl(
    raw_dir: Path,
    work_dir: Path,
    *,
    progress: bool = True,
    rules: QualityRules | None = None,
    engine: EngineName | BaseBackend = "duckdb",
) -> EtlReport:
    """Map both feeds into ``work_dir/unified``; raise ``DataError`` when a hard rule breaks."""
    started = time.perf_counter()
    paths = FeedPaths.under(raw_dir)
    check_feeds(paths)
    unified_dir, quarantine_dir = work_dir / "unified", work_dir / "quarantine"
    for folder in (unified_dir, quarantine_dir, work_dir / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
    con = connect(engine, spill_dir=work_dir / "tmp") if isinstance(engine, str) else engine
    bar = tqdm(total=4, desc="etl", unit="step", disable=not progress, file=sys.stderr)
    checked: CheckedFeeds | None = None
    raw: LoadedFeeds | None = None
    try:
        bar.set_postfix_str("read feeds")
        raw = load_feeds(con, paths, work_dir / "tmp")
        bar.update()
        bar.set_postfix_str(f"check rows on {con.name}")
        checked = unify_feeds(raw.tables)
        bar.update()
        bar.set_postfix_str("write parquet")
        for name in UNIFIED_SCHEMAS:
            _write_parquet(con, checked, name, unified_dir / f"{name}.parquet", work_dir / "tmp")
        bar.update()
        bar.set_postfix_str("quarantine")
        counts = _write_quarantine_and_count(con, checked, raw, quarantine_dir)
        bar.update()
    except engine_errors() as exc:
        raise DataError(f"ETL of {raw_dir} on {con.name} failed: {exc}") from exc
    finally:
        bar.close()
        if checked is not None:
            checked.release()
        if raw is not None:
            raw.release()
        if isinstance(engine, str) and con.name == "duckdb":
            con.disconnect()  # a local Spark session stays up for the next run in this process

    # Live-only listeners are kept users that no feed row wrote: not raw rows.
    raw_rows = {
        feed: counts.kept[feed]
        - (counts.live_only_users if feed == "users" else 0)
        + sum(counts.quarantined[feed].values())
        for feed in FEEDS
    }
    unified_rows = {name: counts.kept[feed] for name, feed in UNIFIED_SOURCE.items()}
    checks = evaluate(raw_rows, unified_rows, counts.quarantined, rules or QualityRules())
    report = EtlReport(
        raw_rows=raw_rows,
        unified_rows=unified_rows,
        quarantined=counts.quarantined,
        flagged=counts.flagged,
        live_only_users=counts.live_only_users,
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
            "quarantined": counts.quarantined,
            "flagged": counts.flagged,
            "live_only_users": counts.live_only_users,
            "checks": checks_as_json(checks),
            "quarantine_dir": str(quarantine_dir),
            "engine": con.name,
        },
    )
    raise_on_failure(checks, report.report_path)
    return report


def _write_parquet(
    con: BaseBackend, checked: CheckedFeeds, name: str, path: Path, tmp_dir: Path
) -> None:
    """One unified table as a single Parquet file, as downstream readers expect."""
    table = checked.unified(name)
    if con.name == "duckdb":
        con.to_parquet(table, path, compression="zstd")  # streamed by DuckDB itself
        return
    # Spark's executors write a folder of parts (in sort order: the table is ordered), joined
    # here into one file a batch at a time: collecting the table would hold it whole on the
    # driver (20M plays pass Spark's 1 GB result limit).
    parts = tmp_dir / f"{name}.parts"
    con.to_parquet(table, parts, mode="overwrite", compression="zstd")
    schema = table.schema().to_pyarrow()
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for part in sorted(parts.glob("part-*.parquet")):
            for batch in pq.ParquetFile(part).iter_batches(batch_size=_MERGE_BATCH_ROWS):
                writer.write_table(pa.Table.from_batches([batch]).cast(schema))
    shutil.rmtree(parts)


def _write_quarantine_and_count(
    con: BaseBackend, checked: CheckedFeeds, raw: LoadedFeeds, quarantine_dir: Path
) -> _Counts:
    kept: dict[str, int] = {}
    quarantined: dict[str, dict[str, int]] = {}
    flagged: dict[str, dict[str, int]] = {}
    live_only_users = 0
    for feed in FEEDS:
        table = _quarantine(con, checked, raw, feed)
        pq.write_table(table, quarantine_dir / f"{feed}.parquet", compression="zstd")
        reasons = table.group_by("reason").aggregate([("reason", "count")])
        quarantined[feed] = dict(
            sorted(
                zip(reasons["reason"].to_pylist(), reasons["reason_count"].to_pylist(), strict=True)
            )
        )
        [counts] = con.to_pyarrow(checked.kept_counts(feed)).to_pylist()
        kept[feed] = int(counts.pop("rows"))
        live_only_users += int(counts.pop("live_only", 0) or 0)
        if counts:  # the feed has flags
            flagged[feed] = {flag: int(n) for flag, n in counts.items() if n}
    return _Counts(kept, quarantined, flagged, live_only_users)


def _quarantine(con: BaseBackend, checked: CheckedFeeds, raw: LoadedFeeds, feed: str) -> pa.Table:
    """Every row of ``feed`` not kept, with its raw record: checked rows, then rejected lines."""
    # The raw text of each lost row, looked up on the engine: only quarantined rows come back.
    source = raw.tables[feed]
    columns = ["record"] if feed == "users" else list(CSV_COLUMNS[feed])
    lost = checked.quarantined(feed)
    found = con.to_pyarrow(
        lost.join(source.select("source", "row_no", *columns), ["source", "row_no"])
    )
    if feed == "users":
        records = found["record"]
    else:
        records = pa.array(
            [json.dumps(row, separators=(",", ":")) for row in found.select(columns).to_pylist()],
            pa.string(),
        )
    table = pa.table(
        {
            "reason": found["reason"],
            "source": found["source"],
            "row_no": found["row_no"],
            "record": records,
            "detail": pa.nulls(found.num_rows, pa.string()),
        },
        schema=REJECT_SCHEMA,
    )
    table = pa.concat_tables([table, raw.rejects(feed)])
    order = pc.sort_indices(
        table, [("source", "ascending"), ("row_no", "ascending"), ("reason", "ascending")]
    )
    return table.take(order)
