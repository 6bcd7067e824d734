"""What the router needs to know about a candidate track, read from the catalog and kept.

Genre, moods and the explicit flag decide filtering (restricted profiles, a genre the
listener keeps skipping, the requested mood) and ranking; a track the catalog lacks is
unavailable. Track metadata changes rarely, so answers (misses included) are kept in
process for ``ttl_s``: the catalog sees one query per request at most, for the ids not kept.
When the catalog fails, ``lookup`` answers None and the router filters by id only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from playback.catalog import Track, TrackCatalog
from playback.errors import CatalogUnavailable
from recommender.serving.breaker import Breaker

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Facets:
    genre: str | None
    moods: tuple[str, ...]
    explicit: bool
    artist_name: str | None = None
    # Lower-cased and stripped once, here: ranking compares them for every candidate.
    genre_key: str = field(init=False, compare=False)
    mood_keys: frozenset[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "genre_key", facet_key(self.genre))
        object.__setattr__(self, "mood_keys", frozenset(map(facet_key, self.moods)))

    @classmethod
    def of(cls, track: Track) -> Facets:
        return cls(track.genre, track.moods, track.explicit, track.artist_name)


def facet_key(value: str | None) -> str:
    """How a genre or mood compares: case and surrounding spaces do not count."""
    return (value or "").strip().lower()


# Known facets by track id; None marks a track the catalog does not have (unavailable).
FacetMap = dict[str, Facets | None]


class FacetCache:
    """Facets of tracks by id, from ``catalog``, kept in an LRU of ``max_items``."""

    def __init__(
        self,
        catalog: TrackCatalog,
        *,
        ttl_s: float = 600.0,
        max_items: int = 200_000,
        retry_after_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._catalog = catalog
        self._ttl_s = ttl_s
        self._max_items = max_items
        self._clock = clock
        self._breaker = Breaker(retry_after_s, clock)
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[Facets | None, float]] = OrderedDict()

    def lookup(self, track_ids: Sequence[str]) -> FacetMap | None:
        """Facets of every id (None for ids the catalog lacks), or None when the catalog
        cannot be asked."""
        return self.lookup_for(track_ids)[0]

    def lookup_for(self, track_ids: Sequence[str]) -> tuple[FacetMap | None, float]:
        """``lookup``, and for how many more seconds all of its answer stays valid."""
        now = self._clock()
        found: FacetMap = {}
        missing: list[str] = []
        entries = self._entries
        until = now + self._ttl_s
        # No lock to read: one dict.get is atomic, and writers only add, move or drop keys.
        for track_id in track_ids:
            entry = entries.get(track_id)
            if entry is not None and entry[1] > now:
                found[track_id] = entry[0]
                until = min(until, entry[1])
            else:
                missing.append(track_id)
        if not missing:
            return found, until - now
        if not self._breaker.allow():
            return None, 0.0
        missing = list(dict.fromkeys(missing))
        try:
            tracks = self._catalog.get_tracks(missing)
        except CatalogUnavailable:
            logger.warning("catalog unavailable; filtering candidates by id only")
            self._breaker.failed()
            return None, 0.0
        self._breaker.succeeded()
        with self._lock:
            for track_id in missing:
                track = tracks.get(track_id)
                facets = None if track is None else Facets.of(track)
                found[track_id] = facets
                entries[track_id] = (facets, now + self._ttl_s)
                entries.move_to_end(track_id)
            while len(entries) > self._max_items:
                entries.popitem(last=False)
        return found, until - now
