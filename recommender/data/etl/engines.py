"""The engines the Ibis ETL runs on: DuckDB embedded, Apache Spark for Glue or EMR.

Only connecting and loading the raw text tables differ per engine; everything after that is
the same Ibis code (``unify.py``). On Glue or EMR, hand the job's own session over::

    from recommender.data.etl.engines import spark_backend
    from recommender.data.etl.run import run_etl

    run_etl(raw_dir, work_dir, engine=spark_backend(spark))  # spark: the job's SparkSession

``spark_backend`` sets the session's time zone to UTC, which the ETL needs (event and sign-up
times are UTC instants). ``run_etl(..., engine="pyspark")`` starts a local Spark instead.

``load_feeds`` hands the raw feeds to the engine: DuckDB scans pyarrow's text tables in place;
Spark reads the files with its own readers on the executors (``spark_feeds.py``), so no feed
row passes through the driver.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from recommender.data.etl.raw_feeds import REJECT_SCHEMA, FeedPaths, read_feeds
from recommender.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

EngineName = Literal["duckdb", "pyspark"]
# DuckDB's own default is 80% of the machine's memory, which its cached tables of 20 million
# events fill (9.9 GB peak on the 24 GB machine, BENCHMARKS.md); beyond this they spill (1 GB
# rather than 2 takes another 1.1 GB off the ETL's peak at that scale).
DUCKDB_MEMORY_LIMIT = "1GB"
ENGINES: tuple[EngineName, ...] = ("duckdb", "pyspark")


def connect(engine: str, *, spill_dir: Path | None = None) -> BaseBackend:
    """A fresh local backend: in-memory DuckDB (spilling to ``spill_dir``), or Spark locally."""
    if engine == "duckdb":
        return duckdb_backend(spill_dir)
    if engine == "pyspark":
        return spark_backend(local_spark_session())
    raise DataError(f"unknown ETL engine {engine!r}; choose one of {', '.join(ENGINES)}")


def duckdb_backend(spill_dir: Path | None = None) -> BaseBackend:
    """In-memory DuckDB reading and writing times in UTC."""
    # Cached tables of an in-memory database spill to spill_dir once memory_limit is reached.
    con = ibis.duckdb.connect(**({"temp_directory": str(spill_dir)} if spill_dir else {}))
    con.raw_sql(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.raw_sql("SET TimeZone = 'UTC'")
    con.raw_sql("SET enable_progress_bar = false")
    # Ibis 12 writes list lambdas as `x -> ...`, which DuckDB 1.5+ refuses unless asked.
    con.raw_sql("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
    return con


def spark_backend(session: SparkSession) -> BaseBackend:
    """Ibis on an existing Spark session (a Glue job's, an EMR step's, or a local one)."""
    session.conf.set("spark.sql.session.timeZone", "UTC")
    # Parquet timestamps as UTC microseconds, the unified schema's type (not legacy INT96).
    session.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    return ibis.pyspark.connect(session)


def local_spark_session(cores: int = 2, memory: str = "2g") -> SparkSession:
    """A local Spark: no UI or console progress, few shuffle partitions, UTC, ``memory`` of
    JVM heap (driver and executors are one JVM locally).

    Returns the running session when there is one, so tests and benchmarks share it (its
    memory is then what it started with).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise DataError("the pyspark engine needs the 'spark' extra: pip install .[spark]") from exc
    require_java()
    # Python workers (UDFs, mapInPandas) run this interpreter, with this one's packages.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("philomath")
        .config("spark.driver.memory", memory)
        .config("spark.driver.maxResultSize", "2g")  # the exported factors come back whole
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # the ETL draws its own progress bar
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def require_java() -> None:
    """Fail in one line, before Spark prints a page of its own, when no Java runtime is there."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return
    if shutil.which("java") is None:
        raise DataError(
            "Spark needs a Java runtime (17 or 21): none on PATH and JAVA_HOME is "
            f"{'unset' if not home else repr(home) + ' without bin/java'}"
        )


@dataclass(frozen=True, slots=True)
class LoadedFeeds:
    """The raw feeds on an engine: text tables per feed, and a feed's rejected lines."""

    tables: dict[str, ibis.Table]
    rejects: Callable[[str], pa.Table]  # feed -> rows of raw_feeds.REJECT_SCHEMA
    release: Callable[[], None] = lambda: None  # drops what the engine cached


def load_feeds(con: BaseBackend, paths: FeedPaths, staging_dir: Path) -> LoadedFeeds:
    """The raw feeds as Ibis tables on ``con``; call ``raw_feeds.check_feeds`` first."""
    if con.name == "pyspark":
        from recommender.data.etl import spark_feeds

        raw = spark_feeds.read_feeds(con._session, paths)
        for feed, frame in raw.tables.items():
            # Cached: the rules and the quarantine's record lookup read each table again.
            frame.cache().createOrReplaceTempView(f"{feed}_raw")

        def spark_rejects(feed: str) -> pa.Table:
            return raw.rejects[feed].toArrow().cast(REJECT_SCHEMA)  # few rows

        def release() -> None:
            for frame in raw.tables.values():
                frame.unpersist()

        tables = {feed: con.table(f"{feed}_raw") for feed in raw.tables}
        return LoadedFeeds(tables, spark_rejects, release)
    text = read_feeds(paths)
    tables = {
        feed: load_table(con, f"{feed}_raw", table, staging_dir)
        for feed, table in text.tables.items()
    }
    # DuckDB scans the Arrow tables in place: they live until release.
    return LoadedFeeds(tables, text.rejects.__getitem__, text.tables.clear)


def load_table(con: BaseBackend, name: str, table: pa.Table, staging_dir: Path) -> ibis.Table:
    """A pyarrow table as an Ibis table on ``con``.

    DuckDB scans the Arrow memory in place. Spark reads it from a Parquet file staged under
    ``staging_dir``: shipping rows from the driver (``createDataFrame``) needs many times
    their size in driver heap. On a cluster, ``staging_dir`` must be storage every executor
    can read. The ETL's feeds do not come this way to Spark (``load_feeds``).
    """
    if con.name == "pyspark":
        staging_dir.mkdir(parents=True, exist_ok=True)
        path = staging_dir / f"{name}.parquet"
        pq.write_table(table, path)
        session = con._session
        session.read.parquet(str(path)).createOrReplaceTempView(name)
        return con.table(name)
    con.con.register(name, table)  # a view: no copy
    return con.table(name)


def engine_errors() -> tuple[type[BaseException], ...]:
    """What the engines raise when a query fails on the data (to become ``DataError``)."""
    errors: list[type[BaseException]] = [duckdb.Error]
    try:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException
    except ImportError:
        return tuple(errors)
    return (*errors, PySparkException, Py4JJavaError)
