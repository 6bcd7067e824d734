"""``rank`` with the candidates grouped by kind gives the answer of its scan, and
``PreparedLists`` keeps prepared candidates only while their facets are valid."""

from __future__ import annotations

import random
from typing import Any

import pytest

from playback.catalog import Track
from playback.errors import CatalogUnavailable
from recommender.serving import ranking
from recommender.serving.facets import FacetCache, FacetMap, Facets
from recommender.serving.prepared import PreparedLists, group_by_kind
from recommender.serving.ranking import (
    Candidate,
    Request,
    Session,
    Weights,
    base_scores,
    interleave,
    rank,
)
from recommender.storage.profiles import UserProfile
from recommender.storage.recommendations import RecommendationList

GENRES = ("rock", "Jazz", "ambient", None)
MOODS = ("happy", "relaxing", "sad", "Energetic")


def random_case(rng: random.Random) -> tuple[list[Candidate], FacetMap, dict[str, Any]]:
    pool = [f"t{i}" for i in range(rng.randint(1, 80))]
    main = base_scores(rng.choices(pool, k=rng.randint(1, 120)), "personal")  # duplicates too
    if rng.random() < 0.5:
        main = interleave(main, base_scores(rng.sample(pool, min(3, len(pool))), "new"), (2, 6))
    facets: FacetMap = {}
    for track_id in pool:
        if rng.random() < 0.1:
            facets[track_id] = None  # not in the catalog
        else:
            moods = tuple(rng.sample(MOODS, rng.randint(0, 2)))
            facets[track_id] = Facets(rng.choice(GENRES), moods, rng.random() < 0.2)
    profile = UserProfile(
        "u",
        explicit_allowed=rng.random() < 0.7,
        genre_affinity={g: rng.uniform(-1, 1) for g in GENRES if g and rng.random() < 0.7},
        mood_affinity={m: rng.uniform(-1, 1) for m in MOODS if rng.random() < 0.7},
        recent_track_ids=tuple(rng.sample(pool, min(len(pool), rng.randint(0, 6)))),
        disliked_track_ids=tuple(rng.sample(pool, min(len(pool), rng.randint(0, 3)))),
        stated_genres=tuple(g for g in GENRES if g and rng.random() < 0.3),
        stated_moods=tuple(m for m in MOODS if rng.random() < 0.3),
    )
    session = Session(
        played=frozenset(rng.sample(pool, min(len(pool), rng.randint(0, 4)))),
        skips_by_genre={g: rng.randint(0, 4) for g in GENRES if g and rng.random() < 0.5},
        likes_by_genre={g: rng.randint(0, 4) for g in GENRES if g and rng.random() < 0.5},
    )
    request = Request(
        mood=rng.choice([None, None, *MOODS, "relaxing "]),
        genre=rng.choice([None, None, "rock", "jazz", "ambient"]),
        exclude=frozenset(rng.sample(pool, min(len(pool), rng.randint(0, 4)))),
    )
    options: dict[str, Any] = {
        "profile": profile if rng.random() < 0.9 else None,
        "session": session,
        "request": request,
        "limit": rng.choice([None, 1, 5, 30, 200]),
        "genre_skip_limit": rng.choice([1, 3]),
        "cold_start": rng.random() < 0.3,
        "weights": Weights(),
    }
    return main, facets, options


@pytest.mark.parametrize("seed", range(400))
def test_ranking_by_kind_answers_as_the_scan_does(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidates, facets, options = random_case(random.Random(seed))
    scanned = rank(candidates, facets, **options)
    merges: list[int] = []
    merged = ranking._merged

    def counted(*args: Any) -> list[ranking.Ranked]:
        merges.append(1)
        return merged(*args)

    monkeypatch.setattr(ranking, "_merged", counted)
    kinds = group_by_kind(candidates, facets)
    assert rank(candidates, facets, **options, kinds=kinds) == scanned
    assert merges == [1]  # the kinds were merged, not scanned


def test_kinds_are_not_merged_for_tracks_asked_for_or_a_cohort() -> None:
    candidates, facets, options = random_case(random.Random(7))
    kinds = group_by_kind(candidates, facets)
    named = Request(asked=frozenset({candidates[-1].track_id}))
    assert rank(candidates, facets, **(options | {"request": named}), kinds=kinds) == rank(
        candidates, facets, **(options | {"request": named})
    )
    cohort = frozenset({candidates[-1].track_id})
    with_cohort = options | {"cohort": cohort, "cold_start": True}
    assert rank(candidates, facets, **with_cohort, kinds=kinds) == rank(
        candidates, facets, **with_cohort
    )


def test_a_kind_holds_each_track_once_best_list_score_first() -> None:
    facets: FacetMap = {"a": Facets("rock", (), False), "b": Facets("rock", (), False)}
    candidates = [Candidate("a", 0.5, "x"), Candidate("b", 0.9, "x"), Candidate("a", 1.0, "x")]
    (kind,) = group_by_kind(candidates, facets)
    assert kind.orders == (1, 0)


class CountingCatalog:
    """The catalog reads a facet cache makes, counted; ``down`` makes them fail."""

    def __init__(self) -> None:
        self.reads = 0
        self.down = False

    def get_tracks(self, track_ids: list[str]) -> dict[str, Track]:
        self.reads += 1
        if self.down:
            raise CatalogUnavailable("down")
        return {t: Track(t, f"title {t}", "ar", "artist", genre="rock") for t in track_ids}


def a_list(*track_ids: str) -> RecommendationList:
    return RecommendationList("u", "all", "v1", track_ids, (1.0,) * len(track_ids), 0.0)


def test_prepared_lists_are_kept_by_list_until_their_facets_expire() -> None:
    now = [0.0]
    catalog = CountingCatalog()
    facets = FacetCache(catalog, ttl_s=60.0, clock=lambda: now[0])  # type: ignore[arg-type]
    prepared = PreparedLists(facets, clock=lambda: now[0])
    stored = a_list("t1", "t2")
    first = prepared.of("personal", [stored], (2, 6))
    assert [c.track_id for c in first.candidates] == ["t1", "t2"]
    assert prepared.of("personal", [stored], (2, 6)) is first
    # An equal list read again is another object: prepared again, from the kept facets.
    assert prepared.of("personal", [a_list("t1", "t2")], (2, 6)) is not first
    assert catalog.reads == 1
    now[0] = 61.0  # the facets expired: so did what was prepared from them
    assert prepared.of("personal", [stored], (2, 6)) is not first
    assert catalog.reads == 2


def test_nothing_is_kept_while_the_catalog_is_down() -> None:
    catalog = CountingCatalog()
    catalog.down = True
    prepared = PreparedLists(FacetCache(catalog, retry_after_s=0.0))  # type: ignore[arg-type]
    stored = a_list("t1")
    assert prepared.of("chart", [stored], ()).facets is None
    catalog.down = False
    assert prepared.of("chart", [stored], ()).facets == {"t1": Facets("rock", (), False, "artist")}
