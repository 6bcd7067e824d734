"""The raw feeds read by Spark's own readers, as the text tables of ``raw_feeds`` (on Spark).

``raw_feeds.read_feeds`` splits the files on the driver with pyarrow; on a cluster the feeds do
not fit there. Here the executors read them: every file with Spark's text reader, each line
numbered in its file, CSV lines split by ``from_csv`` and profile lines parsed by
``from_json``. The tables have the same columns, values and row numbers as pyarrow's, so the
Ibis rules (``unify.py``) give the same output on either path
(``tests/pipeline/test_etl_parity.py``).

Line numbers without a shuffle: ``monotonically_increasing_id`` holds the partition index in
its upper bits and the row within the partition in the lower 33; one small aggregate says
where each file starts in each partition and how many of its lines earlier partitions hold
(``_partition_starts``), and a broadcast join turns (partition, row) into the line number.
Record number = line number, the header being 1: pyarrow is called without
``newlines_in_values``, so no value spans lines.

Known differences from the pyarrow path, none of which the teams' feeds show: nested JSON
values in a profile are written back without the spaces ``json.dumps`` puts after ``:`` and
``,``; non-UTF-8 bytes are replaced instead of failing the read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from recommender.data.etl.raw_feeds import (
    CSV_COLUMNS,
    PROFILE_FIELDS,
    PROFILE_LISTS,
    REJECT_SCHEMA,
    FeedPaths,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

_ROW_BITS = 33  # monotonically_increasing_id: partition index << 33 | row in partition
_BAD = "_corrupt_record"
# pyarrow reads an unquoted empty field as NULL and a quoted one ("") as an empty string. Spark
# gives NULL for a field equal to ``nullValue``, which univocity returns for unquoted empties:
# a value no feed holds keeps quoted empties apart.
_NULL_MARK = "\u0000"
_CSV_OPTIONS = {
    "mode": "PERMISSIVE",
    "columnNameOfCorruptRecord": _BAD,
    "escape": '"',  # "" inside quotes is a quote, as in pyarrow (Spark's default is \)
    "nullValue": _NULL_MARK,
    "emptyValue": "",
}


@dataclass(frozen=True, slots=True)
class SparkRawFeeds:
    """``raw_feeds.RawFeeds`` as Spark DataFrames: ``tables`` per feed, ``rejects`` per feed."""

    tables: dict[str, DataFrame]
    rejects: dict[str, DataFrame]


def read_feeds(session: SparkSession, paths: FeedPaths) -> SparkRawFeeds:
    """Every feed as Spark DataFrames; call ``raw_feeds.check_feeds`` first. Lazy: nothing is
    read until a query runs, and no row passes through the driver."""
    tables: dict[str, DataFrame] = {}
    rejects: dict[str, DataFrame] = {}
    for feed, files in paths.csv_files().items():
        lines = _numbered_lines(session, paths, files)
        tables[feed], rejects[feed] = _split_csv(lines, CSV_COLUMNS[feed])
    tables["users"] = _profiles(_numbered_lines(session, paths, [paths.profiles]))
    rejects["users"] = session.createDataFrame([], _reject_ddl())
    return SparkRawFeeds(tables, rejects)


def _numbered_lines(session: SparkSession, paths: FeedPaths, files: Sequence[Path]) -> DataFrame:
    """(source, row_no, line) of every line of ``files``, headers included (row_no 1)."""
    from pyspark.sql import functions as F

    text = session.read.text([str(path) for path in files]).select(
        F.col("_metadata.file_path").alias("file"),
        F.monotonically_increasing_id().alias("id"),
        F.col("value").alias("line"),
    )
    lines = text.select(
        "file",
        F.shiftright("id", _ROW_BITS).alias("part"),
        F.col("id").bitwiseAND((1 << _ROW_BITS) - 1).alias("row"),
        "line",
    )
    starts = _partition_starts(session, paths, lines)
    return lines.join(F.broadcast(starts), ["file", "part"]).select(
        "source",
        (F.col("rows_before") + F.col("row") - F.col("first_row") + 1).alias("row_no"),
        "line",
    )


def _partition_starts(session: SparkSession, paths: FeedPaths, lines: DataFrame) -> DataFrame:
    """(file, part, source, first_row, rows_before): where each file's lines start in each
    partition holding some, and how many lines of that file the partitions before hold.

    A partition may hold several small files, one after the other, and a large file spans
    partitions in offset order (Spark splits a file into equal parts and a shorter last one,
    and sorts splits by size, stably). One aggregate over the lines; the result is small."""
    from pyspark.sql import functions as F

    spans = lines.groupBy("file", "part").agg(
        F.min("row").alias("first_row"), F.count("*").alias("rows")
    )
    found: dict[str, list[tuple[int, int, int]]] = {}
    for r in spans.collect():
        found.setdefault(r["file"], []).append(
            (int(r["part"]), int(r["first_row"]), int(r["rows"]))
        )
    starts: list[tuple[str, int, str, int, int]] = []
    for file, parts in found.items():
        source = paths.source(Path(unquote(urlparse(file).path)))
        before = 0
        for part, first_row, rows in sorted(parts):
            starts.append((file, part, source, first_row, before))
            before += rows
    return session.createDataFrame(
        starts, "file string, part bigint, source string, first_row bigint, rows_before bigint"
    )


def _split_csv(lines: DataFrame, columns: Sequence[str]) -> tuple[DataFrame, DataFrame]:
    """(rows split into ``columns``, rejected lines) of numbered CSV lines."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    schema = ", ".join(f"`{name}` string" for name in (*columns, _BAD))
    body = lines.filter(F.col("row_no") > 1)  # the header, checked by check_feeds
    parsed = body.select(
        "source", "row_no", "line", F.from_csv("line", schema, _CSV_OPTIONS).alias("r")
    )
    # An empty line is one empty column to pyarrow (so rejected); from_csv reads it as no row.
    bad = F.col(f"r.{_BAD}").isNotNull() | (F.col("line") == "")
    rows = parsed.filter(~bad).select(
        "source", "row_no", *[F.col(f"r.`{c}`").alias(c) for c in columns]
    )
    detail = F.udf(_column_count_detail(len(columns)), StringType())
    rejected = parsed.filter(bad).select(
        F.lit("malformed_csv_row").alias("reason"),
        "source",
        "row_no",
        F.col("line").alias("record"),
        detail("line").alias("detail"),  # a Python UDF, run on the rejected lines only
    )
    return rows, rejected


def _column_count_detail(expected: int) -> Callable[[str], str]:
    """pyarrow's words for a row with the wrong number of columns, as a self-contained
    function: executors run it without importing this package."""

    def detail(line: str) -> str:
        import csv

        found = max(1, len(next(csv.reader([line]), [])))  # an empty line: one empty column
        return f"expected {expected} columns, found {found}"

    return detail


def _profiles(lines: DataFrame) -> DataFrame:
    """One row per non-blank profile line: parsed, record, fields and preference lists as text."""
    from pyspark.sql import functions as F

    fields = ", ".join(f"`{name}` string" for name in (*PROFILE_FIELDS, "preferences", _BAD))
    body = lines.filter(~F.col("line").rlike(r"^\s*$"))  # a blank line holds no record
    doc = F.from_json("line", fields, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _BAD})
    parsed = body.select("source", "row_no", "line", doc.alias("d"))
    trimmed = F.trim(F.col("line"))
    # from_json reads the first object of a line and ignores what follows; json.loads refuses
    # trailing text, hence the closing brace.
    is_object = F.col(f"d.{_BAD}").isNull() & trimmed.startswith("{") & trimmed.endswith("}")
    preferences = F.col("d.preferences")
    lists = {
        name: F.when(
            is_object & preferences.startswith("{"),
            _json_list(F.get_json_object(preferences, f"$.{name}")),
        )
        for name in PROFILE_LISTS
    }
    return parsed.select(
        "source",
        "row_no",
        is_object.alias("parsed"),
        F.col("line").alias("record"),
        *[F.when(is_object, F.col(f"d.`{name}`")).alias(name) for name in PROFILE_FIELDS],
        *[column.alias(name) for name, column in lists.items()],
    )


def _json_list(text: Column) -> Column:
    """A JSON array's items as text (strings unquoted), NULL when ``text`` is no array."""
    from pyspark.sql import functions as F

    return F.when(text.startswith("["), F.from_json(text, "array<string>"))


def _reject_ddl() -> str:
    kinds = {"string": "string", "int64": "bigint"}
    return ", ".join(f"{field.name} {kinds[str(field.type)]}" for field in REJECT_SCHEMA)
