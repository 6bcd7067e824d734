"""``ProfileStore`` in one SQLite file: the embedded default, no server needed.

One row per listener holding the profile's JSON (``profile_json``). The feedback state lives
in the same file, so ``apply_events`` is one SQLite transaction: the profile row, the applied
event ids (``applied_events``), the day's popularity counters (``track_counts``) and the
changed mark (``changed_profiles``) commit together or not at all. ``forget`` deletes a
listener's rows and leaves a tombstone (``forgotten``) that ``apply_events`` reads in its
transaction, so an erasure and a late event never interleave.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

from playback.sqlite_connection import SqliteConnections
from recommender.errors import ProfileStoreUnavailable
from recommender.storage.profile_json import dump_profile, load_profile
from recommender.storage.profiles import (
    COUNTER_FIELDS,
    TOMBSTONE_TTL_S,
    ChangedUser,
    ProfileUpdate,
    TrackCounts,
    UserProfile,
    with_live_feedback,
)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS profiles (
        user_id TEXT PRIMARY KEY,
        profile TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS applied_events (
        user_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        applied_at REAL NOT NULL,
        PRIMARY KEY (user_id, event_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS track_counts (
        day TEXT NOT NULL,
        track_id TEXT NOT NULL,
        plays INTEGER NOT NULL DEFAULT 0,
        finishes INTEGER NOT NULL DEFAULT 0,
        skips INTEGER NOT NULL DEFAULT 0,
        likes INTEGER NOT NULL DEFAULT 0,
        dislikes INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, track_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS changed_profiles (
        user_id TEXT PRIMARY KEY,
        changed_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS changed_profiles_by_time ON changed_profiles (changed_at)",
    """CREATE TABLE IF NOT EXISTS forgotten (
        user_id TEXT PRIMARY KEY,
        forgotten_at REAL NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        consumer TEXT PRIMARY KEY,
        position TEXT NOT NULL,
        updated_at REAL NOT NULL
    )""",
)
_IN_CHUNK = 500  # ids per IN (...) list, far below SQLite's bound-parameter limit
_COUNTS_UPSERT = (
    f"INSERT INTO track_counts (day, track_id, {', '.join(COUNTER_FIELDS)})"
    f" VALUES (?, ?, {', '.join('?' for _ in COUNTER_FIELDS)})"
    " ON CONFLICT (day, track_id) DO UPDATE SET "
    + ", ".join(f"{name} = {name} + excluded.{name}" for name in COUNTER_FIELDS)
)


def _chunks(items: Sequence[str], size: int = _IN_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _placeholders(count: int) -> str:
    return ", ".join("?" for _ in range(count))


class SqliteProfileStore:
    """Listener profiles in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str, *, tombstone_ttl_s: float = TOMBSTONE_TTL_S) -> None:
        self._db = SqliteConnections(path, ProfileStoreUnavailable)
        self._tombstone_ttl_s = tombstone_ttl_s

    def ensure_schema(self) -> None:
        with self._db.writing("ensure_schema") as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def get(self, user_id: str) -> UserProfile | None:
        return self.get_many([user_id]).get(user_id)

    def get_many(self, user_ids: Sequence[str]) -> dict[str, UserProfile]:
        found: dict[str, UserProfile] = {}
        with self._db.reading("get") as conn:
            for chunk in _chunks(list(dict.fromkeys(user_ids))):
                rows = conn.execute(
                    "SELECT user_id, profile FROM profiles"
                    f" WHERE user_id IN ({_placeholders(len(chunk))})",
                    tuple(chunk),
                ).fetchall()
                for user_id, text in rows:
                    found[user_id] = _load(text)
        return found

    def put_many(self, profiles: Iterable[UserProfile]) -> int:
        written = 0

        def rows() -> Iterator[tuple[str, str]]:
            # executemany pulls rows one at a time: a generator of millions is never held.
            nonlocal written
            for profile in profiles:
                written += 1
                yield profile.user_id, dump_profile(profile)

        with self._db.writing("put_many") as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO profiles (user_id, profile) VALUES (?, ?)", rows()
            )
        return written

    def refresh_many(self, profiles: Iterable[UserProfile]) -> int:
        written = 0
        iterator = iter(profiles)
        # One write transaction per chunk: the consumer's apply_events waits, never interleaves.
        while chunk := list(islice(iterator, _IN_CHUNK)):
            with self._db.writing("refresh_many") as conn:
                gone = self._forgotten(conn, [profile.user_id for profile in chunk])
                chunk = [profile for profile in chunk if profile.user_id not in gone]
                rows = conn.execute(
                    "SELECT user_id, profile FROM profiles"
                    f" WHERE user_id IN ({_placeholders(len(chunk))})",
                    tuple(profile.user_id for profile in chunk),
                ).fetchall()
                stored = {user_id: _load(text) for user_id, text in rows}
                conn.executemany(
                    "INSERT OR REPLACE INTO profiles (user_id, profile) VALUES (?, ?)",
                    [
                        (p.user_id, dump_profile(with_live_feedback(p, stored.get(p.user_id))))
                        for p in chunk
                    ],
                )
            written += len(chunk)
        return written

    def apply_events(
        self, user_id: str, event_ids: Sequence[str], update: ProfileUpdate
    ) -> list[str]:
        wanted = list(dict.fromkeys(event_ids))
        now = time.time()
        with self._db.writing("apply_events") as conn:
            if self._forgotten(conn, [user_id]):
                return []
            applied: set[str] = set()
            for chunk in _chunks(wanted):
                rows = conn.execute(
                    "SELECT event_id FROM applied_events WHERE user_id = ?"
                    f" AND event_id IN ({_placeholders(len(chunk))})",
                    (user_id, *chunk),
                ).fetchall()
                applied.update(row[0] for row in rows)
            new = [event_id for event_id in wanted if event_id not in applied]
            if not new:
                return []
            row = conn.execute(
                "SELECT profile FROM profiles WHERE user_id = ?", (user_id,)
            ).fetchone()
            change = update(_load(row[0]) if row else None, new)
            if change.profile.user_id != user_id:
                raise ValueError("update returned another listener's profile")
            conn.execute(
                "INSERT OR REPLACE INTO profiles (user_id, profile) VALUES (?, ?)",
                (user_id, dump_profile(change.profile)),
            )
            conn.executemany(
                "INSERT INTO applied_events (user_id, event_id, applied_at) VALUES (?, ?, ?)",
                [(user_id, event_id, now) for event_id in new],
            )
            conn.executemany(
                _COUNTS_UPSERT,
                [
                    (day, track_id, *counts.as_dict().values())
                    for (day, track_id), counts in change.counts.items()
                ],
            )
            conn.execute(
                "INSERT OR REPLACE INTO changed_profiles (user_id, changed_at) VALUES (?, ?)",
                (user_id, now),
            )
        return new

    def forget(self, user_id: str) -> int:
        deleted = 0
        with self._db.writing("forget") as conn:
            for table in ("profiles", "applied_events", "changed_profiles"):
                cursor = conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
                deleted += cursor.rowcount
            conn.execute(
                "INSERT OR REPLACE INTO forgotten (user_id, forgotten_at) VALUES (?, ?)",
                (user_id, time.time()),
            )
            # Tombstones past their time go with the next erasure: no job of their own.
            conn.execute(
                "DELETE FROM forgotten WHERE forgotten_at < ?",
                (time.time() - self._tombstone_ttl_s,),
            )
        return deleted

    def forgotten(self, user_ids: Sequence[str]) -> set[str]:
        gone: set[str] = set()
        with self._db.reading("forgotten") as conn:
            for chunk in _chunks(list(dict.fromkeys(user_ids))):
                gone |= self._forgotten(conn, chunk)
        return gone

    def _forgotten(self, conn: sqlite3.Connection, user_ids: Sequence[str]) -> set[str]:
        """Which of ``user_ids`` have a live tombstone (inside the caller's transaction)."""
        rows = conn.execute(
            f"SELECT user_id FROM forgotten WHERE user_id IN ({_placeholders(len(user_ids))})"
            " AND forgotten_at >= ?",
            (*user_ids, time.time() - self._tombstone_ttl_s),
        ).fetchall()
        return {row[0] for row in rows}

    def popularity_counts(self, days: Sequence[str]) -> dict[str, TrackCounts]:
        totals: dict[str, TrackCounts] = {}
        sums = ", ".join(f"sum({name})" for name in COUNTER_FIELDS)
        with self._db.reading("popularity_counts") as conn:
            for chunk in _chunks(list(dict.fromkeys(days))):
                rows = conn.execute(
                    f"SELECT track_id, {sums} FROM track_counts"
                    f" WHERE day IN ({_placeholders(len(chunk))}) GROUP BY track_id",
                    tuple(chunk),
                ).fetchall()
                for track_id, *values in rows:
                    counts = TrackCounts(*(int(v) for v in values))
                    totals[track_id] = totals.get(track_id, TrackCounts()) + counts
        return totals

    def changed_users(self, limit: int = 1000) -> list[ChangedUser]:
        with self._db.reading("changed_users") as conn:
            rows = conn.execute(
                "SELECT user_id, changed_at FROM changed_profiles"
                " ORDER BY changed_at, user_id LIMIT ?",
                (limit,),
            ).fetchall()
        return [ChangedUser(user_id, float(changed_at)) for user_id, changed_at in rows]

    def clear_changed(self, users: Sequence[ChangedUser]) -> int:
        cleared = 0
        with self._db.writing("clear_changed") as conn:
            for user in users:
                cursor = conn.execute(
                    "DELETE FROM changed_profiles WHERE user_id = ? AND changed_at <= ?",
                    (user.user_id, user.changed_at),
                )
                cleared += cursor.rowcount
        return cleared

    def get_checkpoint(self, consumer: str) -> str | None:
        with self._db.reading("get_checkpoint") as conn:
            row = conn.execute(
                "SELECT position FROM checkpoints WHERE consumer = ?", (consumer,)
            ).fetchone()
        return None if row is None else str(row[0])

    def put_checkpoint(self, consumer: str, position: str) -> None:
        with self._db.writing("put_checkpoint") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO checkpoints (consumer, position, updated_at)"
                " VALUES (?, ?, ?)",
                (consumer, position, time.time()),
            )

    def close(self) -> None:
        self._db.close()


def _load(text: str) -> UserProfile:
    try:
        return load_profile(text)
    except ValueError as exc:
        raise ProfileStoreUnavailable("a stored profile is unreadable") from exc
