"""``CachedTrackCatalog``: a serving process's catalog reads, kept for a while.

A skill turn reads the same few dozen tracks' metadata two or three times (the candidates to
pick from, then the device queue's tracks), and every listener's turn reads the popular ones
again: a query and a JSON decode per track each time, a tenth of a turn on SQLite and a
network round trip on PostgreSQL. Track metadata changes with the catalog step of the
offline pipeline, so answers (misses too: a track taken down) are kept for ``ttl_s``, the
same staleness the router's facets already accept. ``get_tracks`` and ``tracks_by_artist``
(every request that names an artist) are kept; everything else goes to the catalog as it is.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from playback.catalog import Artist, Track, TrackCatalog

DEFAULT_TTL_S = 300.0
DEFAULT_MAX_TRACKS = 100_000  # about 60 MB of metadata at most
MAX_ARTISTS = 10_000  # artists' track lists kept (they share the tracks' objects)


class CachedTrackCatalog:
    def __init__(
        self,
        catalog: TrackCatalog,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        max_tracks: int = DEFAULT_MAX_TRACKS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s <= 0 or max_tracks < 1:
            raise ValueError("ttl_s must be positive and max_tracks at least 1")
        self._catalog = catalog
        self._ttl_s = ttl_s
        self._max_tracks = max_tracks
        self._clock = clock
        self._lock = threading.Lock()
        # track id -> (the track, or None when the catalog lacks it; when that answer expires)
        self._kept: OrderedDict[str, tuple[Track | None, float]] = OrderedDict()
        # (artist id, limit) -> (their tracks, when that answer expires)
        self._by_artist: OrderedDict[tuple[str, int], tuple[tuple[Track, ...], float]] = (
            OrderedDict()
        )

    def get_tracks(self, track_ids: Sequence[str]) -> dict[str, Track]:
        """As the catalog's: raises what it raises (``CatalogUnavailable``) for ids not kept."""
        now = self._clock()
        found: dict[str, Track] = {}
        missing: list[str] = []
        kept = self._kept
        # No lock to read: one dict read is atomic, and writers only add, move or drop keys.
        for track_id in dict.fromkeys(track_ids):
            entry = kept.get(track_id)
            if entry is None or entry[1] <= now:
                missing.append(track_id)
            elif entry[0] is not None:
                found[track_id] = entry[0]
        if not missing:
            return found
        fetched = self._catalog.get_tracks(missing)
        with self._lock:
            for track_id in missing:
                self._kept[track_id] = (fetched.get(track_id), now + self._ttl_s)
                self._kept.move_to_end(track_id)
            while len(self._kept) > self._max_tracks:
                self._kept.popitem(last=False)
        found.update(fetched)
        return found

    def upsert_tracks(self, tracks: Iterable[Track]) -> int:
        batch = list(tracks)
        written = self._catalog.upsert_tracks(batch)
        artists = {track.artist_id for track in batch}
        with self._lock:  # this process sees its own writes at once
            for track in batch:
                self._kept.pop(track.track_id, None)
            for key in [key for key in self._by_artist if key[0] in artists]:
                del self._by_artist[key]
        return written

    def ensure_schema(self) -> None:
        self._catalog.ensure_schema()

    def find_artists(self, name: str, limit: int = 5) -> list[Artist]:
        return self._catalog.find_artists(name, limit)

    def tracks_by_artist(self, artist_id: str, limit: int = 50) -> list[Track]:
        """As the catalog's: raises what it raises (``CatalogUnavailable``) when not kept."""
        key = (artist_id, limit)
        now = self._clock()
        entry = self._by_artist.get(key)  # one dict read: atomic, so no lock to read
        if entry is not None and entry[1] > now:
            return list(entry[0])
        tracks = self._catalog.tracks_by_artist(artist_id, limit)
        with self._lock:
            self._by_artist[key] = (tuple(tracks), now + self._ttl_s)
            self._by_artist.move_to_end(key)
            while len(self._by_artist) > MAX_ARTISTS:
                self._by_artist.popitem(last=False)
        return tracks

    def genres(self) -> list[str]:
        return self._catalog.genres()

    def count(self) -> int:
        return self._catalog.count()

    def close(self) -> None:
        self._catalog.close()
