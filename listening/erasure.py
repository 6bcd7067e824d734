"""Forgetting a listener: every store that holds their data deletes it, on one request.

Both front doors call ``Erasure.forget``: the skill when Alexa reports ``SkillDisabled``,
the REST API on ``DELETE /v1/users/me``. The stores come in as ``Forgetter``s, in order,
named for the report; the composition root lists them (profiles first: their tombstone stops
the feedback consumer from recreating the listener from events still in the stream; the
identity mappings last, so that an erasure that failed half way can be retried through
them). Every ``forget`` is idempotent: a retry redoes the whole list.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from listening.player import user_ref
from recommender.storage.cache import Cache, list_key, profile_key
from recommender.storage.recommendations import RecommendationStore

logger = logging.getLogger(__name__)


class Forgetter(Protocol):
    def forget(self, user_id: str) -> int:
        """Delete what this store holds of listener ``user_id``; how many items went."""
        ...


class ErasureFailed(Exception):
    """A store could not forget the listener now; what went before it is gone, and a retry
    (Alexa resends the event, an API client repeats the call) finishes the job."""

    def __init__(self, store: str) -> None:
        super().__init__(f"the {store} store could not forget the listener; retry")
        self.store = store


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What ``forget`` deleted, by store name (counts, never ids)."""

    deleted: tuple[tuple[str, int], ...]


class Erasure:
    def __init__(self, forgetters: Sequence[tuple[str, Forgetter]]) -> None:
        names = [name for name, _ in forgetters]
        if len(set(names)) != len(names):
            raise ValueError(f"store names must differ: {names}")
        self._forgetters = tuple(forgetters)

    @property
    def stores(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self._forgetters)

    def forget(self, user_id: str) -> ErasureReport:
        """Forget ``user_id`` in every store, in order; ``ErasureFailed`` names the first
        store that raised (the ones after it are not tried)."""
        deleted = []
        for name, forgetter in self._forgetters:
            try:
                deleted.append((name, forgetter.forget(user_id)))
            except Exception as exc:  # any adapter's error: the caller answers a retry
                logger.error("erasure failed", exc_info=True, extra={"user": user_ref(user_id)})
                raise ErasureFailed(name) from exc
        logger.info(
            "listener forgotten", extra={"user": user_ref(user_id), "deleted": dict(deleted)}
        )
        return ErasureReport(tuple(deleted))


class DeferringStore(Protocol):
    def request_forget(self, user_id: str) -> int:
        """Record that the listener's data must go; an offline run deletes it."""
        ...


class DeferredErasure:
    """A store too large to rewrite within a request (the listen archive, rewritten
    partition by partition): the request records the erasure, and the next offline run
    carries it out before its ETL reads the store (``philomath.offline``)."""

    def __init__(self, archive: DeferringStore) -> None:
        self._archive = archive

    def forget(self, user_id: str) -> int:
        return self._archive.request_forget(user_id)


class CachedLists:
    """A listener's recommendation lists, in the store and their cached copies, and their
    cached profile: the store names each list it deleted, so each cached key is known."""

    def __init__(self, store: RecommendationStore, cache: Cache) -> None:
        self._lists, self._cache = store, cache

    def forget(self, user_id: str) -> int:
        lists = self._lists.forget(user_id)
        for key in [profile_key(user_id), *(list_key(s, user_id, c) for s, c in lists)]:
            self._cache.delete(key)
        return len(lists)
