"""``PosteriorStore`` in one SQLite file: the embedded default.

``record`` is one transaction: the recorded event ids (``bandit_events``) and the posteriors
they changed commit together, so redelivered events are skipped."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from playback.sqlite_connection import SqliteConnections
from recommender.errors import PosteriorStoreUnavailable
from recommender.storage.posteriors import Evidence, Fold, Posterior

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS bandit_posteriors (
        context TEXT NOT NULL,
        track_id TEXT NOT NULL,
        alpha REAL NOT NULL,
        beta REAL NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (context, track_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS bandit_events (
        event_id TEXT NOT NULL,
        context TEXT NOT NULL,
        track_id TEXT NOT NULL,
        PRIMARY KEY (event_id, context, track_id)
    ) WITHOUT ROWID""",
)


class SqlitePosteriorStore:
    """Arms' posteriors in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteConnections(path, PosteriorStoreUnavailable)

    def ensure_schema(self) -> None:
        with self._db.writing("ensure_schema") as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def read(self, context: str, track_ids: Sequence[str]) -> dict[str, Posterior]:
        unique = list(dict.fromkeys(track_ids))
        if not unique:
            return {}
        with self._db.reading("read") as conn:
            rows = conn.execute(
                "SELECT track_id, alpha, beta, updated_at FROM bandit_posteriors"
                f" WHERE context = ? AND track_id IN ({', '.join('?' for _ in unique)})",
                (context, *unique),
            ).fetchall()
        return {track: Posterior(alpha, beta, at) for track, alpha, beta, at in rows}

    def record(self, evidence: Sequence[Evidence], fold: Fold) -> int:
        new = 0
        with self._db.writing("record") as conn:
            for item in evidence:
                inserted = conn.execute(
                    "INSERT OR IGNORE INTO bandit_events (event_id, context, track_id)"
                    " VALUES (?, ?, ?)",
                    (item.event_id, item.context, item.track_id),
                ).rowcount
                if not inserted:
                    continue
                row = conn.execute(
                    "SELECT alpha, beta, updated_at FROM bandit_posteriors"
                    " WHERE context = ? AND track_id = ?",
                    (item.context, item.track_id),
                ).fetchone()
                after = fold(Posterior(*row) if row else None, item)
                conn.execute(
                    "INSERT INTO bandit_posteriors (context, track_id, alpha, beta, updated_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (context, track_id) DO UPDATE SET"
                    " alpha = excluded.alpha, beta = excluded.beta,"
                    " updated_at = excluded.updated_at",
                    (item.context, item.track_id, after.alpha, after.beta, after.updated_at),
                )
                new += 1
        return new

    def close(self) -> None:
        self._db.close()
