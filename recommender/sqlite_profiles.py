"""``ProfileStore`` in one SQLite file: the embedded default, no server needed.

One row per listener holding the profile's JSON (``profile_json``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from playback.sqlite_connection import SqliteConnections
from recommender.errors import ProfileStoreUnavailable
from recommender.profile_json import dump_profile, load_profile
from recommender.profiles import UserProfile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    user_id TEXT PRIMARY KEY,
    profile TEXT NOT NULL
)
"""


class SqliteProfileStore:
    """Listener profiles in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteConnections(path, ProfileStoreUnavailable)

    def ensure_schema(self) -> None:
        with self._db.writing("ensure_schema") as conn:
            conn.execute(_SCHEMA)

    def get(self, user_id: str) -> UserProfile | None:
        with self._db.reading("get") as conn:
            row = conn.execute("SELECT profile FROM profiles WHERE user_id = ?", (user_id,))
            found = row.fetchone()
        if found is None:
            return None
        try:
            return load_profile(found[0])
        except ValueError as exc:
            raise ProfileStoreUnavailable("a stored profile is unreadable") from exc

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

    def close(self) -> None:
        self._db.close()
