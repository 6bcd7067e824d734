"""A step's candidates, prepared once per list and kept: ids with their list scores, their
facets, and the candidates grouped by kind (genre, moods, explicit).

Every request of a listener ranks the same stored list again (a turn, the next turn, the
queue's refill), and every cold-start and popular request ranks the same few charts. Building
the candidates and reading a hundred tracks' facets each time was a fifth of a turn
(BENCHMARKS.md, "2026-12-07 (late night)"). A prepared list is kept by the identity of the
lists it was built from (``ListReader`` hands out one object per stored value) for as long as
the facets it read stay valid, so it is never staler than ``FacetCache`` itself allows.

Grouping by kind is what lets ``ranking.rank`` skip most candidates: everything a
track's score and filter depend on, besides its id and list position, is its kind.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import NamedTuple

from recommender.serving.facets import FacetCache, FacetMap, Facets
from recommender.serving.ranking import Candidate, Kind, base_scores, interleave
from recommender.storage.recommendations import RecommendationList

MAX_PREPARED = 1_024  # like the decoded lists they come from


class Prepared(NamedTuple):
    candidates: tuple[Candidate, ...]
    facets: FacetMap | None  # None: the catalog could not be asked
    kinds: tuple[Kind, ...]  # empty when ``facets`` is None


def group_by_kind(candidates: Sequence[Candidate], facets: FacetMap) -> tuple[Kind, ...]:
    """The kinds of the candidates the catalog has. A track listed twice is grouped once, at
    its first place: ranking keeps a duplicate's first entry only."""
    orders: dict[tuple[str | None, tuple[str, ...], bool], list[int]] = {}
    first: dict[tuple[str | None, tuple[str, ...], bool], Facets] = {}
    seen: set[str] = set()
    for order, candidate in enumerate(candidates):
        track = facets.get(candidate.track_id)
        if track is None or candidate.track_id in seen:
            continue
        seen.add(candidate.track_id)
        key = (track.genre, track.moods, track.explicit)
        if key not in orders:
            orders[key], first[key] = [], track
        orders[key].append(order)
    # Lists come best first, but the order within a kind is made sure of, not assumed.
    return tuple(
        Kind(first[key], tuple(sorted(found, key=lambda o: (-candidates[o].base, o))))
        for key, found in orders.items()
    )


class PreparedLists:
    """Prepared candidates by the lists they come from, at most ``max_items``."""

    def __init__(
        self,
        facets: FacetCache | None,
        *,
        max_items: int = MAX_PREPARED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._facets = facets
        self._max_items = max_items
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (prepared, valid until, the lists: held so their ids stay theirs)
        self._kept: OrderedDict[
            tuple[str, int, int], tuple[Prepared, float, tuple[RecommendationList, ...]]
        ] = OrderedDict()

    def of(
        self, origin: str, lists: Sequence[RecommendationList], new_slots: Sequence[int]
    ) -> Prepared:
        """The candidates of ``lists`` (the first, with the second's tracks put at
        ``new_slots``), their facets and kinds."""
        key = (origin, id(lists[0].track_ids), id(lists[1].track_ids) if len(lists) > 1 else 0)
        now = self._clock()
        kept = self._kept.get(key)  # one dict read: atomic, so no lock to read
        if kept is not None and kept[1] > now:
            return kept[0]
        candidates = tuple(_candidates(origin, lists, new_slots))
        if self._facets is None:
            return Prepared(candidates, None, ())
        facets, valid_s = self._facets.lookup_for([c.track_id for c in candidates])
        if facets is None:
            return Prepared(candidates, None, ())  # not kept: the catalog is down just now
        prepared = Prepared(candidates, facets, group_by_kind(candidates, facets))
        with self._lock:
            self._kept[key] = (prepared, now + valid_s, tuple(lists[:2]))
            self._kept.move_to_end(key)
            while len(self._kept) > self._max_items:
                self._kept.popitem(last=False)
        return prepared


def _candidates(
    origin: str, lists: Sequence[RecommendationList], new_slots: Sequence[int]
) -> list[Candidate]:
    main = base_scores(lists[0].track_ids, origin)
    if len(lists) > 1:
        main = interleave(main, base_scores(lists[1].track_ids, "new"), new_slots)
    return main
