"""The ParsedRequest: what every front door (Alexa slots, free text, REST, CLI) is reduced to.

Both the Alexa slot mapper and the free-text rule parser produce this one shape, so the skill
and the player never care where a request came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Intent = Literal[
    "play_music",
    "next",
    "previous",
    "pause",
    "resume",
    "stop",
    "shuffle_on",
    "shuffle_off",
    "loop_on",
    "loop_off",
    "repeat",
    "start_over",
    "like",
    "dislike",
    "whats_playing",
    "help",
    "out_of_scope",
    "fallback",
]

# Why a request is ``out_of_scope``: understood, but not something a music skill does. The
# skill says so politely and never starts music for it (volume is the device's own control).
OutOfScopeReason = Literal["podcast", "audiobook", "volume", "playlist_edit", "other"]
OUT_OF_SCOPE_REASONS: tuple[OutOfScopeReason, ...] = (
    "podcast", "audiobook", "volume", "playlist_edit", "other",
)  # fmt: skip

SlotName = Literal[
    "artist",
    "track",
    "album",
    "playlist",
    "genre",
    "mood",
    "activity",
    "era",
    "sort",
    "item_type",
    "part_of_day",  # morning, afternoon, evening or night (nlu.time_of_day)
    "recurrence",  # daily, weekdays or weekends
    "routine",  # the name of a routine asked for ("my morning routine": "morning")
]


class Slot(BaseModel):
    """One filled slot.

    ``text`` is what the listener said, ``value`` the canonical form the rest of the system
    uses (a canonical mood, the catalog's spelling of a genre, ``popular`` for sort; for open
    vocabulary such as artists the cleaned text), ``id`` an entity id when one is known (Alexa
    entity resolution today, catalog ids later).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    value: str
    id: str | None = None


class Interpretation(BaseModel):
    """An intent with its slots and how sure the parser is of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    intent: Intent
    confidence: float = Field(ge=0.0, le=1.0)
    slots: dict[SlotName, Slot] = Field(default_factory=dict)

    def slot_value(self, name: SlotName) -> str | None:
        """The canonical value of a slot, or None when it is not filled."""
        slot = self.slots.get(name)
        return slot.value if slot is not None else None


class ParsedRequest(Interpretation):
    """The best interpretation of one request, the runner-up readings, and why it fell back.

    ``alternatives`` are other plausible readings, best first (for example "play yellow"
    read as an artist and, less likely, as a track title). ``reason`` is set when ``intent``
    is ``fallback`` and says why nothing better was found (for logs, not for speech), and when
    it is ``out_of_scope`` (one of ``OUT_OF_SCOPE_REASONS``: what the listener asked for).
    """

    alternatives: list[Interpretation] = Field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AlexaSlot:
    """A slot as Alexa delivered it: the spoken text and, when entity resolution matched,
    the canonical value and id of the custom slot type."""

    text: str | None
    resolved: str | None = None
    resolved_id: str | None = None


def fallback(reason: str) -> ParsedRequest:
    """The answer when nothing in the request could be understood."""
    return ParsedRequest(intent="fallback", confidence=0.0, reason=reason)


def out_of_scope(reason: OutOfScopeReason, confidence: float) -> ParsedRequest:
    """A request understood as one a music skill does not serve (``OUT_OF_SCOPE_REASONS``)."""
    return ParsedRequest(intent="out_of_scope", confidence=confidence, reason=reason)
