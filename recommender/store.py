"""Precomputed recommendation lists and the port of the store that holds them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

# Lists that are not for one listener (charts per context) are stored under this user id.
POPULAR_USER = "_popular"


def context_key(*, mood: str | None = None, genre: str | None = None) -> str:
    """The store's context key for a request: ``all``, ``mood:<m>``, ``genre:<g>``."""
    if mood:
        return f"mood:{mood.strip().lower()}"
    if genre:
        return f"genre:{genre.strip().lower()}"
    return "all"


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


class RecommendationStore(Protocol):
    """Key-value store of recommendation lists keyed by (user_id, context).

    Adapters: ``SqliteRecommendationStore`` (embedded default),
    ``DynamoDBRecommendationStore``. Every method may raise ``StoreUnavailable``.
    """

    def ensure_schema(self) -> None:
        """Create the table if missing (idempotent)."""

    def put_lists(self, lists: Iterable[RecommendationList]) -> int:
        """Write lists, replacing any stored for the same (user_id, context); returns count."""

    def get_list(self, user_id: str, context: str = "all") -> RecommendationList | None:
        """The stored list, or None."""

    def close(self) -> None:
        """Release connections."""
