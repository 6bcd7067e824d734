"""The same ETL on DuckDB and on Spark gives the same unified tables, quarantine and report.

Two feeds: a generated one (dirty the way the teams' hand-overs are) and the hand-written one
whose every broken row is known, with live partitions (listeners only live plays
introduced). Spark runs locally in one session for the whole module. Without Java or pyspark
the Spark half is skipped locally and fails under
``PHILOMATH_REQUIRE_SERVICES=1`` (CI), like the other services.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from recommender.data.etl.engines import local_spark_session, spark_backend
from recommender.data.etl.quality import QualityRules
from recommender.data.etl.run import FEEDS, EtlReport, run_etl
from recommender.data.etl.unify import UNIFIED_ORDER
from recommender.data.generator.feeds import generate_feeds
from recommender.errors import DataError
from tests.pipeline.test_etl_live_listeners import write_live_feed
from tests.services import service_missing

LENIENT = QualityRules(max_quarantined_share=1.0)  # the hand-written feed is mostly broken
UNIFIED_KEYS = {"users": ["user_id"], "tracks": ["track_id"], "interactions": ["event_id"]}
QUARANTINE_ORDER = ["source", "row_no", "reason"]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        service_missing("no Java runtime for Spark")
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        service_missing(f"pyspark is not installed: {exc}")
    session = local_spark_session(cores=2)
    session.sparkContext.setLogLevel("ERROR")
    # Splits of a few KB: the catalog files are then read as many partitions, as large
    # feeds are, which line numbering must follow.
    session.conf.set("spark.sql.files.maxPartitionBytes", "16384")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    generated = tmp_path_factory.mktemp("generated")
    # A higher dirty rate than the default, so every kind of dirt shows up in a small feed.
    generate_feeds(
        generated, users=50, tracks=300, events=3_000, seed=5, dirty_rate=0.08, progress=False
    )
    return {"generated": generated, "broken": write_live_feed(tmp_path_factory.mktemp("broken"))}


def _run(feed: Path, work: Path, engine: Any) -> EtlReport:
    return run_etl(feed, work, progress=False, rules=LENIENT, engine=engine)


@pytest.fixture(scope="module", params=["generated", "broken"])
def both(
    request: pytest.FixtureRequest,
    feeds: dict[str, Path],
    spark: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[EtlReport, EtlReport]:
    raw = feeds[request.param]
    duck = _run(raw, tmp_path_factory.mktemp(f"duckdb-{request.param}"), "duckdb")
    spark_run = _run(raw, tmp_path_factory.mktemp(f"spark-{request.param}"), spark_backend(spark))
    return duck, spark_run


def _types(path: Path) -> list[tuple[str, str]]:
    return [(field.name, str(field.type)) for field in pq.read_schema(path)]


def _rows(path: Path, order: list[str]) -> list[dict[str, Any]]:
    table = pq.read_table(path)
    rows: list[dict[str, Any]] = table.sort_by([(n, "ascending") for n in order]).to_pylist()
    return rows


def _assert_same(left: list[dict[str, Any]], right: list[dict[str, Any]], what: str) -> None:
    assert len(left) == len(right), what
    for a, b in zip(left, right, strict=True):
        assert a.keys() == b.keys(), what
        for column, value in a.items():
            other = b[column]
            if isinstance(value, float) and isinstance(other, float):
                assert math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-12), (what, a, b)
            else:
                assert value == other, (what, column, a, b)


@pytest.mark.parametrize("table", sorted(UNIFIED_ORDER))
def test_unified_tables_match(both: tuple[EtlReport, EtlReport], table: str) -> None:
    duck, spark_run = both
    left_path, right_path = (r.unified_dir / f"{table}.parquet" for r in both)
    # Names and types; nullability is the writer's inference (DuckDB proves some columns
    # non-null), not data.
    assert _types(left_path) == _types(right_path)
    left = _rows(left_path, UNIFIED_KEYS[table])
    assert left, f"no {table} kept: nothing to compare"
    _assert_same(left, _rows(right_path, UNIFIED_KEYS[table]), table)
    assert duck.unified_rows[table] == spark_run.unified_rows[table] == len(left)


@pytest.mark.parametrize("feed", FEEDS)
def test_quarantines_match(both: tuple[EtlReport, EtlReport], feed: str) -> None:
    left, right = (_rows(r.quarantine_dir / f"{feed}.parquet", QUARANTINE_ORDER) for r in both)
    _assert_same(left, right, feed)


def test_reports_match_and_are_not_trivial(both: tuple[EtlReport, EtlReport]) -> None:
    duck, spark_run = both
    assert duck.raw_rows == spark_run.raw_rows
    assert duck.quarantined == spark_run.quarantined
    assert duck.flagged == spark_run.flagged
    assert duck.live_only_users == spark_run.live_only_users
    assert [c.passed for c in duck.checks] == [c.passed for c in spark_run.checks]
    written = [json.loads(r.report_path.read_text()) for r in both]
    assert [w.pop("engine") for w in written] == ["duckdb", "pyspark"]
    for report in written:
        report.pop("quarantine_dir")
    assert written[0] == written[1]
    # The comparison means something only if the feed exercised the rules.
    reasons = {reason for per_feed in duck.quarantined.values() for reason in per_feed}
    assert len(reasons) >= 4, reasons
    assert sum(duck.flagged["tracks"].values()) > 0


def test_an_unknown_engine_is_refused(feeds: dict[str, Path], tmp_path: Path) -> None:
    engine: Any = "oracle"
    with pytest.raises(DataError, match="unknown ETL engine"):
        run_etl(feeds["broken"], tmp_path, progress=False, engine=engine)
