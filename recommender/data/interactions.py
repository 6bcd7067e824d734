"""Unified interactions as columnar arrays indexed by user and track, the models' input.

Indices follow sorted id vocabularies taken from the unified users and tracks tables, so
every listener and every track has a row even without plays.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from duckdb import DuckDBPyConnection

from recommender.data.etl.sql import connect, sql_string
from recommender.data.etl.unified import table_sql

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]

END_REASONS: tuple[str, ...] = ("finished", "stopped", "skipped")


@dataclass(frozen=True, slots=True)
class ItemSets:
    """Per-row sets of item indices in CSR form (``indptr``, sorted ``indices``)."""

    indptr: IntArray
    indices: IntArray

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, i: int) -> IntArray:
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def lengths(self) -> IntArray:
        return np.diff(self.indptr)

    def take(self, rows: IntArray) -> ItemSets:
        """The sets of ``rows``, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, lengths = self.indptr[rows], np.diff(self.indptr)[rows]
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        offsets = np.repeat(starts - indptr[:-1], lengths)
        return ItemSets(indptr, self.indices[np.arange(indptr[-1]) + offsets])

    @classmethod
    def from_pairs(cls, rows: IntArray, items: IntArray, n_rows: int) -> ItemSets:
        """Distinct (row, item) pairs grouped by row."""
        n_items = int(items.max()) + 1 if len(items) else 1
        keys = np.unique(np.asarray(rows, np.int64) * n_items + np.asarray(items, np.int64))
        row_of = keys // n_items
        indptr = np.concatenate([[0], np.cumsum(np.bincount(row_of, minlength=n_rows))])
        return cls(indptr.astype(np.int64), (keys % n_items).astype(np.int64))

    @classmethod
    def from_sets(cls, sets: Sequence[Collection[int]]) -> ItemSets:
        rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
        items = np.fromiter((item for s in sets for item in s), dtype=np.int64, count=len(rows))
        return cls.from_pairs(rows, items, len(sets))


@dataclass(frozen=True, slots=True)
class Interactions:
    """Plays as parallel arrays; ``user_idx``/``track_idx`` index the id vocabularies."""

    user_ids: StrArray
    track_ids: StrArray
    user_idx: IntArray
    track_idx: IntArray
    confidence: FloatArray
    event_time: FloatArray  # unix seconds
    end_reason: npt.NDArray[np.int8]  # index into END_REASONS

    def __len__(self) -> int:
        return len(self.user_idx)

    def seen(self) -> ItemSets:
        """Tracks each user has played, one row per user in vocabulary order."""
        return ItemSets.from_pairs(self.user_idx, self.track_idx, len(self.user_ids))

    @classmethod
    def from_unified(cls, unified_dir: Path) -> Interactions:
        """Read ``users``, ``tracks`` and ``interactions`` Parquet written by the ETL."""
        users, tracks, plays = (
            table_sql(unified_dir, name) for name in ("users", "tracks", "interactions")
        )
        reasons = ", ".join(sql_string(reason) for reason in END_REASONS)
        con = connect()
        try:
            user_ids, track_ids = _vocabularies(con, users, tracks)
            data = con.execute(f"""
                WITH u AS (SELECT user_id, row_number() OVER (ORDER BY user_id) - 1 AS ui
                           FROM {users}),
                     t AS (SELECT track_id, row_number() OVER (ORDER BY track_id) - 1 AS ti
                           FROM {tracks})
                SELECT ui, ti, confidence::DOUBLE AS confidence,
                       epoch(event_time)::DOUBLE AS event_time,
                       list_position([{reasons}], end_reason) - 1 AS reason
                FROM {plays} JOIN u USING (user_id) JOIN t USING (track_id)
                ORDER BY event_time, event_id""").fetchnumpy()
        finally:
            con.close()
        return cls(
            user_ids=user_ids,
            track_ids=track_ids,
            user_idx=np.asarray(data["ui"], dtype=np.int64),
            track_idx=np.asarray(data["ti"], dtype=np.int64),
            confidence=np.asarray(data["confidence"], dtype=np.float64),
            event_time=np.asarray(data["event_time"], dtype=np.float64),
            end_reason=np.asarray(data["reason"], dtype=np.int8),
        )


def id_vocabularies(unified_dir: Path) -> tuple[StrArray, StrArray]:
    """The sorted listener and track ids of the unified tables (a model's row and column
    indices) without reading the plays: what serving needs to fold a listener in."""
    con = connect()
    try:
        users, tracks = (table_sql(unified_dir, name) for name in ("users", "tracks"))
        return _vocabularies(con, users, tracks)
    finally:
        con.close()


def _vocabularies(con: DuckDBPyConnection, users: str, tracks: str) -> tuple[StrArray, StrArray]:
    user_ids = con.execute(f"SELECT user_id FROM {users} ORDER BY user_id").fetchnumpy()
    track_ids = con.execute(f"SELECT track_id FROM {tracks} ORDER BY track_id").fetchnumpy()
    return (
        np.asarray(user_ids["user_id"], dtype=np.str_),
        np.asarray(track_ids["track_id"], dtype=np.str_),
    )
