"""In-memory ports with outage switches and read counters, for the router's unit tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from playback.catalog import Artist, Track
from playback.errors import CatalogUnavailable
from recommender.errors import CacheUnavailable, ProfileStoreUnavailable, StoreUnavailable
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.profiles import UserProfile
from recommender.storage.recommendations import BASE_SNAPSHOT, RecommendationList, SnapshotPointer


def rlist(
    user: str, context: str, *tracks: str, version: str = "popularity.v1"
) -> RecommendationList:
    return RecommendationList(user, context, version, tracks, tuple(1.0 for _ in tracks), 0.0)


class DictStore:
    def __init__(self, lists: Iterable[RecommendationList] = ()) -> None:
        self.lists: dict[tuple[str, str, str], RecommendationList] = {}
        self.pointer = SnapshotPointer()
        self.down = False
        self.reads = 0
        self.put(lists)

    def put(self, lists: Iterable[RecommendationList], snapshot: str = BASE_SNAPSHOT) -> None:
        for item in lists:
            self.lists[(snapshot, item.user_id, item.context)] = item

    def get_list(
        self, user_id: str, context: str = "all", *, snapshot: str | None = None
    ) -> RecommendationList | None:
        self.reads += 1
        if self.down:
            raise StoreUnavailable("down")
        target = self.pointer.current if snapshot is None else snapshot
        return self.lists.get((target, user_id, context))

    def snapshot_pointer(self) -> SnapshotPointer:
        if self.down:
            raise StoreUnavailable("down")
        return self.pointer


class DictProfiles:
    def __init__(self, *profiles: UserProfile) -> None:
        self.profiles = {p.user_id: p for p in profiles}
        self.down = False
        self.reads = 0

    def get(self, user_id: str) -> UserProfile | None:
        self.reads += 1
        if self.down:
            raise ProfileStoreUnavailable("down")
        return self.profiles.get(user_id)


class SwitchCache(InProcessCache):
    """The in-process cache that can be switched off and counts its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise CacheUnavailable("down")

    def get(self, key: str) -> bytes | None:
        self._check()
        return super().get(key)

    def set(self, key: str, value: bytes, ttl_s: float) -> None:
        self._check()
        super().set(key, value, ttl_s)

    def add(self, key: str, value: bytes, ttl_s: float) -> bool:
        self._check()
        return super().add(key, value, ttl_s)

    def delete(self, key: str) -> None:
        self._check()
        super().delete(key)


@dataclass
class DictCatalog:
    tracks: dict[str, Track] = field(default_factory=dict)
    down: bool = False
    lookups: int = 0

    def get_tracks(self, track_ids: Sequence[str]) -> dict[str, Track]:
        self.lookups += 1
        if self.down:
            raise CatalogUnavailable("down")
        return {t: self.tracks[t] for t in track_ids if t in self.tracks}

    def find_artists(self, name: str, limit: int = 5) -> list[Artist]:
        if self.down:
            raise CatalogUnavailable("down")
        wanted = name.strip().casefold()
        found = {
            t.artist_id: t.artist_name
            for t in self.tracks.values()
            if t.artist_name.casefold().startswith(wanted)
        }
        return [Artist(a, n) for a, n in sorted(found.items(), key=lambda i: i[1])][:limit]

    def tracks_by_artist(self, artist_id: str, limit: int = 50) -> list[Track]:
        if self.down:
            raise CatalogUnavailable("down")
        mine = [t for t in self.tracks.values() if t.artist_id == artist_id]
        mine.sort(key=lambda t: (-(t.release_year or 0), t.track_id))
        return mine[:limit]


def track(track_id: str, genre: str, *moods: str, explicit: bool = False) -> Track:
    return Track(track_id, f"Title {track_id}", f"a-{genre}", f"Artist {genre}", genre=genre,
                 moods=moods, explicit=explicit)  # fmt: skip
