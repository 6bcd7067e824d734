"""Read-through of lists and profiles for the router: cache, then store, never an error.

Each read tries the cache, then the backing store, and fills the cache. Protections:

- Stampede: on a miss one caller loads while the others wait for its answer. In process, a
  single flight per key; across processes, a lock in the cache (``Cache.add``, set-if-absent
  with a short TTL): whoever does not get it polls the cache for up to ``lock_wait_s``, then
  reads the store itself (a lock holder that died costs a little latency, not an error).
- Misses are cached too (an empty value, ``miss_ttl_s``): a listener without a list for a
  context does not send every request to the store.
- Outages: a failing cache is skipped for ``retry_after_s`` (a breaker) and counts as a miss;
  a failing store answers None. Either makes the read degraded, and every read answers the
  causes (``cache``, ``store``, ``profiles``; empty when none failed); neither raises.
- Charts read from the store are also kept in memory, for when the store is down.

The cache holds bytes (it may be Redis); the lists and profiles last decoded are kept by those
bytes, so one read again (a chart, a listener's next request) is not decoded again.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from recommender.errors import CacheUnavailable, ProfileStoreUnavailable, StoreUnavailable
from recommender.serving.breaker import Breaker
from recommender.storage.cache import Cache, list_key, lock_key, profile_key
from recommender.storage.profile_json import dump_profile, load_profile
from recommender.storage.profiles import ProfileReader, UserProfile
from recommender.storage.recommendations import (
    POPULAR_USER,
    RecommendationList,
    RecommendationReader,
)
from telemetry import Metrics, NullMetrics

logger = logging.getLogger(__name__)

_MISSING = b""  # cached for a key the store has no value for
_POLL_S = 0.01
_DECODED_LISTS = 1_024  # about 10 MB of lists of 100 tracks
_DECODED_PROFILES = 1_024  # a few MB: a profile holds its last events and affinities

# Why a read (and so an answer) is degraded: the backends that failed on the way.
Causes = frozenset[str]
_CACHE_DOWN: Causes = frozenset({"cache"})
_FINE: Causes = frozenset()


@dataclass(frozen=True, slots=True)
class CacheSettings:
    list_ttl_s: float = 300.0
    profile_ttl_s: float = 30.0  # short: the consumer deletes it on change, the TTL is a net
    miss_ttl_s: float = 60.0
    lock_ttl_s: float = 2.0
    lock_wait_s: float = 0.05
    retry_after_s: float = 2.0


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    value: bytes | None = None


class ListReader:
    """Lists and profiles through ``cache``; see the module docstring."""

    def __init__(
        self,
        store: RecommendationReader,
        profiles: ProfileReader,
        cache: Cache,
        settings: CacheSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._metrics = metrics or NullMetrics()  # cache hit ratio
        self._profiles = profiles
        self._cache = cache
        self._settings = settings or CacheSettings()
        self._cache_breaker = Breaker(self._settings.retry_after_s, clock)
        self._store_breaker = Breaker(self._settings.retry_after_s, clock)
        self._profile_breaker = Breaker(self._settings.retry_after_s, clock)
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()
        self._charts: dict[str, RecommendationList] = {}
        # The same bytes, the same list (or the same garbage: None).
        self._decode_list = functools.lru_cache(maxsize=_DECODED_LISTS)(decode_list)
        # Profiles too (frozen: shared by the requests that read the same bytes).
        self._decode_profile = functools.lru_cache(maxsize=_DECODED_PROFILES)(_decode_profile)

    def read_list(
        self, snapshot: str, user_id: str, context: str
    ) -> tuple[RecommendationList | None, Causes]:
        """The list and why the read was degraded (the backends that failed on the way)."""
        store_down = False

        def load() -> bytes | None:
            nonlocal store_down
            if not self._store_breaker.allow():
                store_down = True
                return None
            try:
                stored = self._store.get_list(user_id, context, snapshot=snapshot)
            except StoreUnavailable:
                logger.warning("recommendation store unavailable")
                self._store_breaker.failed()
                store_down = True
                return None
            self._store_breaker.succeeded()
            return _MISSING if stored is None else encode_list(stored)

        key = list_key(snapshot, user_id, context)
        raw, cache_degraded = self._through(key, self._settings.list_ttl_s, load)
        found = self._decode_list(raw) if raw else None
        if raw and found is None:  # garbage in the cache: drop it and read the store
            self._cache_call(lambda: self._cache.delete(key))
            raw = load()
            found = self._decode_list(raw) if raw else None
        if found is not None and user_id == POPULAR_USER:
            self._charts[context] = found
        return found, _causes(cache_degraded, "store" if store_down else None)

    def read_profile(self, user_id: str) -> tuple[UserProfile | None, Causes]:
        profiles_down = False

        def load() -> bytes | None:
            nonlocal profiles_down
            if not self._profile_breaker.allow():
                profiles_down = True
                return None
            try:
                profile = self._profiles.get(user_id)
            except ProfileStoreUnavailable:
                logger.warning("profile store unavailable; treating the listener as new")
                self._profile_breaker.failed()
                profiles_down = True
                return None
            self._profile_breaker.succeeded()
            return _MISSING if profile is None else dump_profile(profile).encode()

        key = profile_key(user_id)
        raw, cache_degraded = self._through(key, self._settings.profile_ttl_s, load)
        profile = self._decode_profile(raw)
        if raw and profile is None:  # garbage in the cache: drop it and read the store
            self._cache_call(lambda: self._cache.delete(key))
            profile = self._decode_profile(load())
        return profile, _causes(cache_degraded, "profiles" if profiles_down else None)

    def last_chart(self, context: str) -> RecommendationList | None:
        """The last chart of ``context`` read from the store, for when it is down."""
        return self._charts.get(context)

    # -- the read-through -------------------------------------------------------------------

    def _through(
        self, key: str, ttl_s: float, load: Callable[[], bytes | None]
    ) -> tuple[bytes | None, bool]:
        """(cached or loaded value, cache degraded). ``load`` answers None when the store
        failed: nothing is cached then."""
        cached, degraded = self._cache_get(key)
        self._metrics.cache_lookup(hit=cached is not None)
        if cached is not None:
            return cached, degraded
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait(self._settings.lock_ttl_s)
            if flight.value is not None:
                return flight.value, degraded
            return load(), degraded
        try:
            value = self._load_once_across_processes(key, ttl_s, load)
            flight.value = value
            return value, degraded or not self._cache_breaker.allow()
        finally:
            flight.done.set()
            with self._lock:
                self._flights.pop(key, None)

    def _load_once_across_processes(
        self, key: str, ttl_s: float, load: Callable[[], bytes | None]
    ) -> bytes | None:
        lock = lock_key(key)
        if not self._cache_call(lambda: self._cache.add(lock, b"1", self._settings.lock_ttl_s)):
            # Another process is loading it: wait briefly for its answer in the cache.
            deadline = time.monotonic() + self._settings.lock_wait_s
            while time.monotonic() < deadline:
                time.sleep(_POLL_S)
                cached, _ = self._cache_get(key)
                if cached is not None:
                    return cached
            return load()
        try:
            value = load()
            if value is not None:
                ttl = ttl_s if value else self._settings.miss_ttl_s
                self._cache_call(lambda: self._cache.set(key, value, ttl))
            return value
        finally:
            self._cache_call(lambda: self._cache.delete(lock))

    def _cache_get(self, key: str) -> tuple[bytes | None, bool]:
        if not self._cache_breaker.allow():
            return None, True
        try:
            value = self._cache.get(key)
        except CacheUnavailable:
            logger.warning("cache unavailable; reading the store")
            self._cache_breaker.failed()
            return None, True
        self._cache_breaker.succeeded()
        return value, False

    def _cache_call(self, call: Callable[[], object]) -> bool:
        """Run a cache write; True when it ran and answered truthy or None. A failing or
        skipped cache answers True for locks (load anyway) and is recorded."""
        if not self._cache_breaker.allow():
            return True
        try:
            answer = call()
        except CacheUnavailable:
            self._cache_breaker.failed()
            return True
        return answer is None or bool(answer)


def _causes(cache_down: bool, backend: str | None) -> Causes:
    causes = _CACHE_DOWN if cache_down else _FINE
    return causes | {backend} if backend else causes


def _decode_profile(raw: bytes | None) -> UserProfile | None:
    if not raw:
        return None
    try:
        return load_profile(raw)
    except ValueError:
        logger.warning("an unreadable profile was cached; ignoring it")
        return None


def encode_list(stored: RecommendationList) -> bytes:
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


def decode_list(raw: bytes) -> RecommendationList | None:
    """The list, or None for a value that is not one (logged, treated as a miss)."""
    try:
        data = json.loads(raw)
        return RecommendationList(
            data["u"], data["c"], data["m"], tuple(data["t"]), tuple(data["s"]), data["g"]
        )
    except (ValueError, KeyError, TypeError):
        logger.warning("an unreadable list was cached; ignoring it")
        return None
