"""Catalog candidates for a spoken name, and the port that finds them.

``nlu.reading`` asks a ``NameResolver`` what a name may refer to; ``nlu.names.NameIndex``
answers from the catalog, ``NoCatalog`` when there is none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

NameKind = Literal["artist", "track", "album", "playlist"]
# Score below which a catalog candidate is not taken for the name said.
ACCEPT_SCORE = 0.8


@dataclass(frozen=True, slots=True)
class Candidate:
    """A catalog entity a name may refer to; ``score`` 1.0 is an exact match."""

    kind: NameKind
    value: str
    id: str
    score: float


class NameResolver(Protocol):
    """Looks names up in a catalog, best first (at most a few per kind)."""

    def resolve(
        self, text: str, kinds: Sequence[NameKind], artist_id: str | None = None
    ) -> list[Candidate]: ...


class NoCatalog:
    """The resolver when no catalog is known: every name stays open vocabulary."""

    def resolve(
        self, text: str, kinds: Sequence[NameKind], artist_id: str | None = None
    ) -> list[Candidate]:
        return []
