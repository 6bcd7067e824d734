"""In-memory ports for pipeline tests: dicts behind the catalog, profile and list ports.

Not named fakes.py: tests/fakes.py (the skill tests' world) is imported as ``fakes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from playback.catalog import Artist, Track
from recommender.profiles import UserProfile
from recommender.store import RecommendationList


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

    def put_many(self, profiles: Iterable[UserProfile]) -> int:
        written = 0
        for profile in profiles:
            self.profiles[profile.user_id] = profile
            written += 1
        return written

    def close(self) -> None:
        pass


class MemoryStore:
    def __init__(self) -> None:
        self.lists: dict[tuple[str, str], RecommendationList] = {}

    def ensure_schema(self) -> None:
        pass

    def put_lists(self, lists: Iterable[RecommendationList]) -> int:
        written = 0
        for item in lists:
            self.lists[(item.user_id, item.context)] = item
            written += 1
        return written

    def get_list(self, user_id: str, context: str = "all") -> RecommendationList | None:
        return self.lists.get((user_id, context))

    def close(self) -> None:
        pass
