"""The serving router: picks the path (personalized, popular, cold start) and degrades on outages.

Order of reads for one request: cache -> recommendation store -> in-memory fallback chart.
A cache outage is a miss; a store outage falls back to the last charts held in memory. The
router never raises for a backend being down: the answer says it is ``degraded``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from recommender.cache import Cache
from recommender.errors import CacheUnavailable, ProfileStoreUnavailable, StoreUnavailable
from recommender.profiles import ProfileStore, UserProfile
from recommender.store import POPULAR_USER, RecommendationList, RecommendationStore, context_key

logger = logging.getLogger(__name__)

Path = Literal["personalized", "popular", "cold_start", "fallback"]

# Below this many plays a listener's own list is not trusted yet.
MIN_PLAYS_FOR_PERSONALIZED = 5


@dataclass(frozen=True, slots=True)
class RecommendationRequest:
    user_id: str
    mood: str | None = None
    genre: str | None = None
    popular: bool = False  # the listener asked for what is popular or trending
    n: int = 10
    exclude: frozenset[str] = field(default_factory=frozenset)

    @property
    def context(self) -> str:
        return context_key(mood=self.mood, genre=self.genre)


@dataclass(frozen=True, slots=True)
class Recommendation:
    track_ids: tuple[str, ...]
    path: Path
    reason: str
    model_version: str
    degraded: bool = False


class Router:
    """Answers ``recommend`` from precomputed lists; see the module docstring for the order."""

    def __init__(
        self,
        store: RecommendationStore,
        profiles: ProfileStore,
        cache: Cache,
        *,
        cache_ttl_s: float = 300.0,
    ) -> None:
        self._store = store
        self._profiles = profiles
        self._cache = cache
        self._cache_ttl_s = cache_ttl_s
        # Last charts read successfully, served when the store is down.
        self._charts_in_memory: dict[str, RecommendationList] = {}

    def recommend(self, request: RecommendationRequest) -> Recommendation:
        degraded = False
        profile: UserProfile | None = None
        try:
            profile = self._profiles.get(request.user_id)
        except ProfileStoreUnavailable:
            logger.warning("profile store unavailable; treating listener as new")
            degraded = True

        known = profile is not None and profile.play_count >= MIN_PLAYS_FOR_PERSONALIZED
        stored: RecommendationList | None = None
        path: Path
        if known and not request.popular:
            stored, failed = self._read(request.user_id, request.context)
            degraded |= failed
            path = "personalized"
            reason = _personal_reason(request)
        if stored is None:
            stored, failed = self._read(POPULAR_USER, request.context)
            degraded |= failed
            path = "popular" if (request.popular or known) else "cold_start"
            reason = _chart_reason(request)
        if stored is None:
            stored = self._charts_in_memory.get(request.context) or self._charts_in_memory.get(
                "all"
            )
            path, reason, degraded = "fallback", "a few popular tracks", True
        if stored is None:
            return Recommendation((), "fallback", "nothing to recommend yet", "none", True)

        blocked = request.exclude | _not_allowed(profile)
        track_ids = tuple(t for t in stored.track_ids if t not in blocked)[: request.n]
        return Recommendation(track_ids, path, reason, stored.model_version, degraded)

    def _read(self, user_id: str, context: str) -> tuple[RecommendationList | None, bool]:
        """The list for (user, context) via the cache; second value True when degraded."""
        key = f"recs:{user_id}:{context}"
        degraded = False
        try:
            cached = self._cache.get(key)
            if cached is not None:
                return _decode(cached), False
        except CacheUnavailable:
            logger.warning("cache unavailable; reading the store")
            degraded = True
        try:
            stored = self._store.get_list(user_id, context)
        except StoreUnavailable:
            logger.warning("recommendation store unavailable")
            return None, True
        if stored is None:
            return None, degraded
        if user_id == POPULAR_USER:
            self._charts_in_memory[context] = stored
        try:
            self._cache.set(key, _encode(stored), self._cache_ttl_s)
        except CacheUnavailable:
            degraded = True
        return stored, degraded


def _not_allowed(profile: UserProfile | None) -> frozenset[str]:
    # Disliked and explicit filtering arrive with the feedback loop; recent plays are skipped.
    if profile is None:
        return frozenset()
    return frozenset(profile.recent_track_ids[:5])


def _personal_reason(request: RecommendationRequest) -> str:
    if request.mood:
        return f"{request.mood} picks based on what you listen to"
    if request.genre:
        return f"{request.genre} picks based on what you listen to"
    return "picked for you from what you listen to"


def _chart_reason(request: RecommendationRequest) -> str:
    if request.mood:
        return f"popular {request.mood} tracks"
    if request.genre:
        return f"popular {request.genre} tracks"
    return "popular tracks right now"


def _encode(stored: RecommendationList) -> bytes:
    return json.dumps(
        {
            "u": stored.user_id,
            "c": stored.context,
            "m": stored.model_version,
            "t": stored.track_ids,
            "s": stored.scores,
            "g": stored.generated_at,
        }
    ).encode()


def _decode(raw: bytes) -> RecommendationList:
    data = json.loads(raw)
    return RecommendationList(
        data["u"], data["c"], data["m"], tuple(data["t"]), tuple(data["s"]), data["g"]
    )


__all__: Sequence[str] = ("Recommendation", "RecommendationRequest", "Router")
