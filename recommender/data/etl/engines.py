"""The engines the Ibis ETL runs on: DuckDB embedded, Apache Spark for Glue or EMR.

Only connecting and loading the raw text tables differ per engine; everything after that is
the same Ibis code (``unify.py``). On Glue or EMR, hand the job's own session over::

    from recommender.data.etl.engines import spark_backend
    from recommender.data.etl.run import run_etl

    run_etl(raw_dir, work_dir, engine=spark_backend(spark))  # spark: the job's SparkSession

``spark_backend`` sets the session's time zone to UTC, which the ETL needs (event and sign-up
times are UTC instants). ``run_etl(..., engine="pyspark")`` starts a local Spark instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

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
    return ibis.pyspark.connect(session)


def local_spark_session(cores: int = 2) -> SparkSession:
    """A local Spark: no UI or console progress, few shuffle partitions, UTC.

    Returns the running session when there is one, so tests and benchmarks share it.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise DataError("the pyspark engine needs the 'spark' extra: pip install .[spark]") from exc
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("philomath-etl")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # the ETL draws its own progress bar
        .config("spark.sql.shuffle.partitions", str(cores * 2))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def load_table(con: BaseBackend, name: str, table: pa.Table, staging_dir: Path) -> ibis.Table:
    """A pyarrow table as an Ibis table on ``con``.

    DuckDB scans the Arrow memory in place. Spark reads it from a Parquet file staged under
    ``staging_dir``: shipping rows from the driver (``createDataFrame``) needs many times
    their size in driver heap. On a cluster, ``staging_dir`` must be storage every executor
    can read.
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
