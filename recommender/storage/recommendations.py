"""Precomputed recommendation lists, their versioned snapshots, and the port of their store.

Batch inference writes a whole run as one snapshot, named after the model version and the
run's time (``new_snapshot_id``), while readers keep reading the current one; then one
write of the snapshot pointer switches every reader at once (``publish_snapshot``). No
reader sees half a snapshot: a staged snapshot is invisible, and the one it replaces stays,
as ``previous``, for ``rollback``. Lists written without a snapshot go to the current one
(incremental runs rewrite changed listeners' lists in place, each list atomically). A store
that never had a snapshot published serves the unversioned base snapshot ``""``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

# Lists that are not for one listener (charts per context) are stored under this user id.
POPULAR_USER = "_popular"
BASE_SNAPSHOT = ""
# Letters, digits and ``.+-_``: it goes into keys (``context#snapshot``) and cache keys.
_SNAPSHOT_ID = re.compile(r"[A-Za-z0-9._+-]{1,120}")


def context_key(*, mood: str | None = None, genre: str | None = None) -> str:
    """The store's context key for a request: ``all``, ``mood:<m>``, ``genre:<g>``."""
    if mood:
        return f"mood:{mood.strip().lower()}"
    if genre:
        return f"genre:{genre.strip().lower()}"
    return "all"


# Contexts beside ``context_key``'s: a listener's new tracks by content similarity, charts of
# what is trending, and charts per region and age group (the listener's demographics).
NEW_TRACKS_CONTEXT = "new"
TRENDING_CONTEXT = "trending"


def region_context(country: str) -> str:
    return f"region:{country.strip().lower()}"


def part_context(part_of_day: str) -> str:
    """A listener's list for one part of the day (``part:night``): what they play then."""
    return f"part:{part_of_day.strip().lower()}"


def age_context(birth_year: int) -> str:
    """Listeners grouped by birth decade: ``age:1990s``."""
    return f"age:{birth_year // 10 * 10}s"


def new_snapshot_id(model_version: str, now: float | None = None) -> str:
    """``<model version>.<UTC time to the microsecond>Z``: sorts by time within a model."""
    moment = time.time() if now is None else now
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(moment))
    micros = int(round((moment % 1) * 1_000_000)) % 1_000_000
    return check_snapshot_id(f"{model_version}.{stamp}{micros:06d}Z")


_SNAPSHOT_STAMP = re.compile(r"\d{8}T\d{12}Z")


def snapshot_model(snapshot: str) -> str | None:
    """The model version a ``new_snapshot_id`` names (``ials.v1`` of
    ``ials.v1.20260101T000000000000Z``); None for the base snapshot or another id."""
    model, _, stamp = snapshot.rpartition(".")
    return model if model and _SNAPSHOT_STAMP.fullmatch(stamp) else None


# A snapshot batch inference staged for an experiment (lists of a model version that is not
# promoted, never published) is registered under this user id in the base snapshot: one list
# per model version, whose context is the model version and whose only id is the snapshot.
EXPERIMENT_SNAPSHOTS_USER = "_experiment_snapshots"


def check_snapshot_id(snapshot: str) -> str:
    """``snapshot`` itself, or ``ValueError`` when it is not a valid snapshot id."""
    if snapshot != BASE_SNAPSHOT and not _SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"not a snapshot id (letters, digits, '.+-_'): {snapshot!r}")
    return snapshot


def stored_context(context: str, snapshot: str) -> str:
    """The sort key of a list: its context, then ``#`` and the snapshot unless the base."""
    return context if snapshot == BASE_SNAPSHOT else f"{context}#{snapshot}"


def split_stored_context(stored: str) -> tuple[str, str]:
    """``stored_context``'s inverse: (snapshot, context). A snapshot id never holds ``#``."""
    context, _, snapshot = stored.rpartition("#")
    return (snapshot, context) if context else (BASE_SNAPSHOT, stored)


@dataclass(frozen=True, slots=True)
class RecommendationList:
    """Ranked track ids for one (user, context), best first, from one model version."""

    user_id: str
    context: str
    model_version: str
    track_ids: tuple[str, ...]
    scores: tuple[float, ...]
    generated_at: float  # unix seconds

    def __post_init__(self) -> None:
        if len(self.track_ids) != len(self.scores):
            raise ValueError("track_ids and scores must have the same length")


def experiment_snapshot_entry(model_version: str, snapshot: str, now: float) -> RecommendationList:
    """The registration of ``snapshot`` as the one serving ``model_version`` to experiments."""
    return RecommendationList(
        EXPERIMENT_SNAPSHOTS_USER, model_version, model_version, (snapshot,), (now,), now
    )


@dataclass(frozen=True, slots=True)
class SnapshotPointer:
    """Which snapshot readers see (``current``) and the one kept for rollback."""

    current: str = BASE_SNAPSHOT
    previous: str | None = None
    published_at: float | None = None  # unix seconds


class RecommendationReader(Protocol):
    """The reads serving makes: every ``RecommendationStore`` is one. Both methods may raise
    ``StoreUnavailable``."""

    def get_list(
        self, user_id: str, context: str = "all", *, snapshot: str | None = None
    ) -> RecommendationList | None:
        """The stored list of the current snapshot (or of ``snapshot``), or None."""

    def snapshot_pointer(self) -> SnapshotPointer:
        """The current and previous snapshot, read fresh."""


class RecommendationStore(RecommendationReader, Protocol):
    """Key-value store of recommendation lists keyed by (snapshot, user_id, context).

    Adapters: ``SqliteRecommendationStore`` (embedded default),
    ``DynamoDBRecommendationStore``. Every method may raise ``StoreUnavailable``.
    """

    def ensure_schema(self) -> None:
        """Create the table if missing (idempotent)."""

    def put_lists(self, lists: Iterable[RecommendationList], *, snapshot: str | None = None) -> int:
        """Write lists, replacing any stored for the same (user_id, context) in the same
        snapshot; returns count. ``snapshot`` None writes into the current snapshot; a named
        one that is not current is staged, unseen by readers until published."""

    def publish_snapshot(self, snapshot: str) -> SnapshotPointer:
        """Switch readers to ``snapshot`` in one write; the current one becomes previous."""

    def rollback(self) -> SnapshotPointer:
        """Swap current and previous; ``ValueError`` when there is no previous snapshot."""

    def drop_snapshot(self, snapshot: str) -> int:
        """Delete the lists of a snapshot that is neither current nor previous (else
        ``ValueError``); returns how many were deleted."""

    def forget(self, user_id: str) -> list[tuple[str, str]]:
        """Delete every list of ``user_id`` in every snapshot (erasure); returns the
        (snapshot, context) of each, so that their cached copies can go too."""

    def close(self) -> None:
        """Release connections."""
