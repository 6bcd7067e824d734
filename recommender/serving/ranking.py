"""Filtering and ranking of candidate tracks, and the reason the skill speaks. Pure.

Filter (a candidate is dropped when any holds): the request excludes it; the listener
disliked it, played it in this session or among their last few plays; it is unavailable
(not in the catalog); it is explicit and the profile may not hear explicit tracks; it does
not match the requested mood or genre; its genre was skipped ``genre_skip_limit`` times or
more in this session (unless the listener asked for that genre). Facets (genre, moods,
explicit) come from the catalog; when it cannot be asked, only the id rules apply, and the
lists' own batch-time filtering (explicit tracks kept from restricted listeners) still holds.

Rank: the list's order (``base`` in (0, 1], 1 for the first; see ``base_scores``) plus the
listener's learnt genre and mood affinities, plus the session (tracks of a genre finished or
liked in this session rise, of a genre skipped sink), plus, on the cold-start path, stated
preferences and what the listener's region and age group play. Ties keep the list order.

Tracks the listener named (``Request.asked``: a title, an album, or the mood or genre they
asked for among an artist's tracks) come first, and are never dropped for having played
recently or for a genre skipped in this session: asking by name overrides "not again".
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from recommender.serving.facets import Facets, facet_key
from recommender.storage.profiles import UserProfile

# Plays at the head of ``recent_track_ids`` never repeated, in or out of a session.
RECENT_NO_REPEAT = 5
_POSITIVE = frozenset({"finished", "liked"})
_NEGATIVE = frozenset({"skipped", "disliked"})


@dataclass(frozen=True, slots=True)
class Weights:
    genre_affinity: float = 0.25
    mood_affinity: float = 0.15
    session_like: float = 0.15
    session_skip: float = 0.3
    stated_genre: float = 0.3
    stated_mood: float = 0.2
    cohort: float = 0.2


# Candidates and ranked tracks are named tuples, not frozen dataclasses: a turn builds a few
# hundred, and a frozen dataclass takes three times as long to build (BENCHMARKS.md,
# "2026-12-07 (night)").
class Candidate(NamedTuple):
    track_id: str
    base: float  # from the list's order: 1.0 first
    origin: str  # "personal", "new" (content similarity), "chart", "memory"


@dataclass(frozen=True, slots=True)
class Session:
    """What the listener did within the session window, from the profile's recent events."""

    played: frozenset[str] = frozenset()
    skips_by_genre: Mapping[str, int] = field(default_factory=dict)
    likes_by_genre: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, profile: UserProfile | None, now: float, window_s: float) -> Session:
        if profile is None:
            return cls()
        recent = [e for e in profile.recent_events if now - e.at <= window_s]
        skips = Counter(e.genre for e in recent if e.kind in _NEGATIVE and e.genre)
        likes = Counter(e.genre for e in recent if e.kind in _POSITIVE and e.genre)
        return cls(frozenset(e.track_id for e in recent), dict(skips), dict(likes))


@dataclass(frozen=True, slots=True)
class Request:
    """The parts of a recommendation request ranking needs."""

    mood: str | None = None
    genre: str | None = None
    exclude: frozenset[str] = frozenset()
    asked: frozenset[str] = frozenset()  # named by the listener: first, repeats allowed


class Ranked(NamedTuple):
    track_id: str
    score: float
    origin: str


def blocked_genres(session: Session, limit: int, requested: str | None) -> frozenset[str]:
    """Genres skipped ``limit`` times or more in the session, but never the one asked for."""
    wanted = facet_key(requested)
    return frozenset(
        genre
        for genre, n in session.skips_by_genre.items()
        if n >= limit and facet_key(genre) != wanted
    )


def rank(
    candidates: Sequence[Candidate],
    facets: Mapping[str, Facets | None] | None,
    profile: UserProfile | None,
    session: Session,
    request: Request,
    *,
    limit: int | None = None,
    genre_skip_limit: int = 3,
    cold_start: bool = False,
    cohort: frozenset[str] = frozenset(),
    weights: Weights = Weights(),
    kinds: Sequence[Kind] | None = None,
) -> list[Ranked]:
    """Candidates that pass the filter, best first (at most ``limit``); duplicates keep their
    first entry. ``candidates`` come in list order, so ``base`` never rises: once ``limit``
    are kept and no later candidate could overtake the last of them even with every boost,
    the rest are not scored (unless some are ``asked``: those lists are short).

    ``kinds``, the candidates grouped by kind (``prepared.group_by_kind`` of ``facets``),
    give the same answer sooner when the request names no track and no cohort bonus applies:
    within a kind every candidate gets the same adjustment and passes the same filter, so the
    kinds that pass are merged by score and only the candidates that make the answer are
    looked at, not the whole list."""
    dropped = _dropped_ids(profile, session, request)
    blocked = blocked_genres(session, genre_skip_limit, request.genre)
    adjust = _adjuster(profile, session, weights, cold_start)
    mood, genre = facet_key(request.mood), facet_key(request.genre)
    explicit_banned = profile is not None and not profile.explicit_allowed

    def excluded(track: Facets) -> bool:  # the facet filter of the module docstring
        return (
            (explicit_banned and track.explicit)
            or (bool(mood) and mood not in track.mood_keys)
            or (bool(genre) and genre != track.genre_key)
        )

    if kinds is not None and facets is not None and not request.asked and not cohort:
        passing = [k for k in kinds if not excluded(k.facets) and k.facets.genre not in blocked]
        return _merged(candidates, passing, dropped, adjust, limit)
    ceiling = _max_boost(weights, profile, session, cold_start, bool(cohort))
    adjustments: dict[tuple[str | None, tuple[str, ...]], float] = {}
    best: list[tuple[float, int]] = []  # min-heap of the ``limit`` best (score, -order)
    scored: list[tuple[bool, float, int, Ranked]] = []
    seen: set[str] = set()
    cut_at = limit if not request.asked else None
    asked_ids = request.asked
    for order, (track_id, base, origin) in enumerate(candidates):
        if cut_at is not None and len(best) >= cut_at and base + ceiling < best[0][0]:
            break
        if track_id in dropped or track_id in seen:
            continue
        seen.add(track_id)
        asked = track_id in asked_ids
        track = facets.get(track_id) if facets is not None else None
        if facets is not None and (
            track is None or excluded(track) or (not asked and track.genre in blocked)
        ):
            continue
        score = base
        if track is not None:
            key = (track.genre, track.moods)
            adjustment = adjustments.get(key)
            if adjustment is None:  # it depends on the facets only: once per kind
                adjustment = adjustments[key] = adjust(track)
            score += adjustment
        if cold_start and track_id in cohort:
            score += weights.cohort
        scored.append((not asked, -score, order, Ranked(track_id, score, origin)))
        if limit is not None:
            (heapq.heappush if len(best) < limit else heapq.heappushpop)(best, (score, -order))
    scored.sort(key=lambda item: item[:3])
    return [ranked for *_, ranked in scored[:limit]]


def _merged(
    candidates: Sequence[Candidate],
    kinds: Sequence[Kind],
    dropped: set[str],
    adjust: Callable[[Facets], float],
    limit: int | None,
) -> list[Ranked]:
    """The best ``limit`` candidates of the passing ``kinds``, merged by score."""
    # Each kind's next candidate: (-score, order, kind, index in kind, adjustment).
    heads: list[tuple[float, int, int, int, float]] = []
    for index, (track, orders) in enumerate(kinds):
        adjustment = adjust(track)
        first = orders[0]
        heads.append((-(candidates[first].base + adjustment), first, index, 0, adjustment))
    heapq.heapify(heads)
    ranked: list[Ranked] = []
    wanted = len(candidates) if limit is None else limit
    while heads and len(ranked) < wanted:
        negative, order, index, at, adjustment = heads[0]
        orders = kinds[index].orders
        if at + 1 < len(orders):
            after = orders[at + 1]
            score = candidates[after].base + adjustment
            heapq.heapreplace(heads, (-score, after, index, at + 1, adjustment))
        else:
            heapq.heappop(heads)
        track_id, _, origin = candidates[order]
        if track_id not in dropped:
            ranked.append(Ranked(track_id, -negative, origin))
    return ranked


class Kind(NamedTuple):
    """Candidates that share their facets' genre, moods and explicit flag: ``facets`` is the
    first one's; ``orders`` are their positions in the candidates, best list score first,
    each track once."""

    facets: Facets
    orders: tuple[int, ...]


def _dropped_ids(profile: UserProfile | None, session: Session, request: Request) -> set[str]:
    """Ids the filter drops whatever their facets: excluded, disliked, played just now
    (unless asked for)."""
    repeats = set(session.played)
    if profile is not None:
        repeats |= set(profile.recent_track_ids[:RECENT_NO_REPEAT])
    dropped = set(request.exclude) | (repeats - request.asked)
    if profile is not None:
        dropped |= set(profile.disliked_track_ids)
    return dropped


def _max_boost(
    weights: Weights,
    profile: UserProfile | None,
    session: Session,
    cold_start: bool,
    has_cohort: bool,
) -> float:
    """The most ``_adjuster`` (and the cohort bonus) can add for this listener."""
    boost = weights.session_like * min(max(session.likes_by_genre.values(), default=0), 3) / 3
    if profile is not None:
        boost += weights.genre_affinity * max([0.0, *profile.genre_affinity.values()])
        boost += weights.mood_affinity * max([0.0, *profile.mood_affinity.values()])
        if cold_start:
            boost += weights.stated_genre if profile.stated_genres else 0.0
            boost += weights.stated_mood if profile.stated_moods else 0.0
    if cold_start and has_cohort:
        boost += weights.cohort
    return boost


def _adjuster(
    profile: UserProfile | None, session: Session, weights: Weights, cold_start: bool
) -> Callable[[Facets], float]:
    """What a track's facets add to its list score for this listener and session: their
    genre and mood affinities, stated preferences on the cold-start path, and the genres
    liked or skipped in the session. Built once a request: ranking asks it for every kind
    of track, so what the request fixes is looked up here, not again for each."""
    genre_affinity = profile.genre_affinity if profile is not None else {}
    mood_affinity = profile.mood_affinity if profile is not None else {}
    stated_genres = profile.stated_genres if profile is not None else ()
    stated_moods = set(profile.stated_moods) if profile is not None else set()
    likes, skips = session.likes_by_genre, session.skips_by_genre
    by_genre, by_mood = weights.genre_affinity, weights.mood_affinity
    like, skip = weights.session_like, weights.session_skip
    stated_genre, stated_mood = weights.stated_genre, weights.stated_mood
    personal = profile is not None

    def adjustment(track: Facets) -> float:
        score = 0.0
        genre = track.genre
        if personal:
            if genre:
                score += by_genre * genre_affinity.get(genre, 0.0)
            moods = [mood_affinity.get(m, 0.0) for m in track.moods]
            if moods:
                score += by_mood * sum(moods) / len(moods)
            if cold_start:
                if genre and genre in stated_genres:
                    score += stated_genre
                if stated_moods.intersection(track.moods):
                    score += stated_mood
        # Adding 0.0 changes no score: a session without likes or skips costs nothing here.
        if genre and likes:
            score += like * min(likes.get(genre, 0), 3) / 3
        if genre and skips:
            score -= skip * min(skips.get(genre, 0), 3) / 3
        return score

    return adjustment


def base_scores(track_ids: Sequence[str], origin: str) -> list[Candidate]:
    """Candidates from a ranked list: ``base`` is 1 / (1 + position / 10): 1.0 first, 0.5 at
    the 11th; steps are large at the head, so an adjustment of 0.1 to 0.3 moves a track a few
    places near the top and many places further down, whatever the list's length."""
    bases = _BASES if len(track_ids) <= len(_BASES) else _bases(len(track_ids))
    return [Candidate(t, base, origin) for t, base in zip(track_ids, bases, strict=False)]


def _bases(n: int) -> tuple[float, ...]:
    return tuple(1.0 / (1.0 + i / 10.0) for i in range(n))


_BASES = _bases(1_000)  # lists are at most PHILOMATH_RECOMMENDATIONS_PER_USER (1,000) long


def interleave(
    main: Sequence[Candidate], extra: Sequence[Candidate], slots: Sequence[int]
) -> list[Candidate]:
    """``main`` with ``extra``'s items put at positions ``slots``, each taking the ``base`` of
    the item it displaces (so ranking keeps them near there)."""
    merged = list(main)
    for slot, item in zip(slots, extra, strict=False):
        at = min(slot, len(merged))
        base = merged[at].base if at < len(merged) else (merged[-1].base if merged else 1.0)
        merged.insert(at, Candidate(item.track_id, base, item.origin))
    return merged


# -- reasons ----------------------------------------------------------------------------------


def chart_reason(mood: str | None, genre: str | None) -> str:
    if mood:
        return f"popular {mood} tracks"
    if genre:
        return f"popular {genre} tracks"
    return "popular tracks right now"


def personal_reason(
    mood: str | None, genre: str | None, top: Ranked, facets: Facets | None, profile: UserProfile
) -> str:
    if top.origin == "new" and facets is not None and facets.genre:
        return f"a new track close to the {facets.genre} you play"
    if mood:
        return f"{mood} picks based on what you listen to"
    if genre:
        return f"{genre} picks based on what you listen to"
    liked = facets.genre if facets is not None else None
    if liked and profile.genre_affinity.get(liked, 0.0) > 0.1:
        return f"because you like {liked}"
    return "picked for you from what you listen to"


def popular_reason(
    mood: str | None, genre: str | None, facets: Facets | None, profile: UserProfile | None
) -> str:
    reason = chart_reason(mood, genre)
    liked = facets.genre if facets is not None else None
    if profile is not None and liked and profile.genre_affinity.get(liked, 0.0) > 0.1:
        return f"{reason}, picked for your taste in {liked}"
    return reason


def artist_reason(asked: bool, facets: Facets | None, profile: UserProfile | None) -> str:
    """Why this track of the artist asked for: it is the one named, it fits the listener's
    taste, or it is simply one of their newest."""
    if asked:
        return "as you asked"
    liked = facets.genre if facets is not None else None
    if profile is not None and liked and profile.genre_affinity.get(liked, 0.0) > 0.1:
        return f"because you like {liked}"
    return "one of their latest tracks"


def cold_start_reason(
    mood: str | None, genre: str | None, facets: Facets | None, profile: UserProfile | None
) -> str:
    liked = facets.genre if facets is not None else None
    if not (mood or genre) and profile is not None and liked in profile.stated_genres:
        return f"popular {liked} tracks, since you said you like {liked}"
    return chart_reason(mood, genre)
