"""DuckDB plumbing shared by this package: connections and quoting of SQL built as text."""

from __future__ import annotations

from pathlib import Path

import duckdb


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads times in UTC and draws no progress bar of its own."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    return con


def sql_string(text: str | Path) -> str:
    """A SQL string literal: single quotes doubled, so any path or word is safe."""
    return "'" + str(text).replace("'", "''") + "'"
