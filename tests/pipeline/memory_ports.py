"""In-memory ports for pipeline tests: dicts behind the catalog, profile and list ports.

Not named fakes.py: tests/fakes.py (the skill tests' world) is imported as ``fakes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from playback.catalog import Artist, Track
from recommender.storage.profiles import (
    ChangedUser,
    ProfileUpdate,
    TrackCounts,
    UserProfile,
    with_live_feedback,
)
from recommender.storage.recommendations import BASE_SNAPSHOT, RecommendationList, SnapshotPointer


class MemoryCatalog:
    def __init__(self) -> None:
        self.tracks: dict[str, Track] = {}
        self.schema_ready = False

    def ensure_schema(self) -> None:
        self.schema_ready = True

    def upsert_tracks(self, tracks: Iterable[Track]) -> int:
        written = 0
        for track in tracks:
            self.tracks[track.track_id] = track
            written += 1
        return written

    def get_tracks(self, track_ids: Sequence[str]) -> dict[str, Track]:
        return {t: self.tracks[t] for t in track_ids if t in self.tracks}

    def find_artists(self, name: str, limit: int = 5) -> list[Artist]:
        wanted = name.strip().lower()
        found = {
            t.artist_id: t.artist_name
            for t in self.tracks.values()
            if t.artist_name.lower().startswith(wanted)
        }
        return [Artist(a, n) for a, n in sorted(found.items())][:limit]

    def tracks_by_artist(self, artist_id: str, limit: int = 50) -> list[Track]:
        mine = [t for t in self.tracks.values() if t.artist_id == artist_id]
        mine.sort(key=lambda t: (-(t.release_year or 0), t.track_id))
        return mine[:limit]

    def genres(self) -> list[str]:
        return sorted({t.genre for t in self.tracks.values() if t.genre})

    def count(self) -> int:
        return len(self.tracks)

    def close(self) -> None:
        pass


class MemoryProfiles:
    def __init__(self) -> None:
        self.profiles: dict[str, UserProfile] = {}

    def ensure_schema(self) -> None:
        pass

    def get(self, user_id: str) -> UserProfile | None:
        return self.profiles.get(user_id)

    def get_many(self, user_ids: Sequence[str]) -> dict[str, UserProfile]:
        return {u: self.profiles[u] for u in user_ids if u in self.profiles}

    def apply_events(
        self, user_id: str, event_ids: Sequence[str], update: ProfileUpdate
    ) -> list[str]:
        raise NotImplementedError("the pipeline applies no events")

    def popularity_counts(self, days: Sequence[str]) -> dict[str, TrackCounts]:
        return {}

    def changed_users(self, limit: int = 1000) -> list[ChangedUser]:
        return []

    def clear_changed(self, users: Sequence[ChangedUser]) -> int:
        return 0

    def get_checkpoint(self, consumer: str) -> str | None:
        return None

    def put_checkpoint(self, consumer: str, position: str) -> None:
        raise NotImplementedError

    def refresh_many(self, profiles: Iterable[UserProfile]) -> int:
        merged = [with_live_feedback(p, self.profiles.get(p.user_id)) for p in profiles]
        return self.put_many(merged)

    def put_many(self, profiles: Iterable[UserProfile]) -> int:
        written = 0
        for profile in profiles:
            self.profiles[profile.user_id] = profile
            written += 1
        return written

    def forget(self, user_id: str) -> int:
        return 1 if self.profiles.pop(user_id, None) is not None else 0

    def forgotten(self, user_ids: Sequence[str]) -> set[str]:
        return set()

    def close(self) -> None:
        pass


class MemoryStore:
    def __init__(self) -> None:
        self.lists: dict[tuple[str, str, str], RecommendationList] = {}
        self.pointer = SnapshotPointer()

    def ensure_schema(self) -> None:
        pass

    def put_lists(self, lists: Iterable[RecommendationList], *, snapshot: str | None = None) -> int:
        target = self.pointer.current if snapshot is None else snapshot
        written = 0
        for item in lists:
            self.lists[(target, item.user_id, item.context)] = item
            written += 1
        return written

    def get_list(
        self, user_id: str, context: str = "all", *, snapshot: str | None = None
    ) -> RecommendationList | None:
        target = self.pointer.current if snapshot is None else snapshot
        return self.lists.get((target, user_id, context))

    def snapshot_pointer(self) -> SnapshotPointer:
        return self.pointer

    def publish_snapshot(self, snapshot: str) -> SnapshotPointer:
        self.pointer = SnapshotPointer(snapshot, self.pointer.current, 0.0)
        return self.pointer

    def rollback(self) -> SnapshotPointer:
        raise NotImplementedError

    def drop_snapshot(self, snapshot: str) -> int:
        keys = [key for key in self.lists if key[0] == snapshot]
        for key in keys:
            del self.lists[key]
        return len(keys)

    def forget(self, user_id: str) -> list[tuple[str, str]]:
        keys = [key for key in self.lists if key[1] == user_id]
        for key in keys:
            del self.lists[key]
        return [(snapshot, context) for snapshot, _, context in keys]

    def close(self) -> None:
        pass


__all__ = ["BASE_SNAPSHOT", "MemoryCatalog", "MemoryProfiles", "MemoryStore"]
