"""Routines: music a listener declared for a time ("meditation at 22:00 every day").

A routine has a name ("meditation"), what to play (the request as text, read once by the
NLU when it is declared, and the mood, genre and activity that reading gave), a local time
``at`` ("22:00"), a ``repeat`` and the listener's IANA ``timezone``. The app or an Alexa
Routine starts it at that time (``POST /v1/users/me/routines/{id}/play``), or the listener
asks for it by voice ("play my meditation routine"). Its part of the day is its time's
(22:00 is night), so a routine plays from the listener's list for that part when they have
one and the request names no mood or genre.

    RoutineStore adapters: ``SqliteRoutineStore`` (embedded default),
    ``DynamoDBRoutineStore``, ``MemoryRoutineStore`` (tests). Every method may raise
    ``RoutinesUnavailable``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from playback.day_parts import PartOfDay, part_of_hour

Repeat = Literal["daily", "weekdays", "weekends", "once"]
REPEATS: tuple[Repeat, ...] = ("daily", "weekdays", "weekends", "once")
MAX_ROUTINES_PER_LISTENER = 50
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


class RoutinesUnavailable(Exception):
    """The routine store failed (its own error, translated at the adapter)."""


def new_routine_id() -> str:
    return f"rtn-{secrets.token_hex(8)}"


def routine_key(name: str) -> str:
    """How a routine's name is matched ("Night Routine" and "night routine" meet)."""
    return " ".join(name.lower().split())


def check_time(at: str) -> str:
    """``at`` itself when it is a 24-hour ``HH:MM``, else ValueError."""
    if not _TIME.match(at):
        raise ValueError(f"not a 24-hour HH:MM time: {at!r}")
    return at


class Routine(BaseModel):
    """One declared routine; also its persisted JSON form (``schema_version``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    routine_id: str = Field(min_length=1, max_length=64)
    user_id: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1, max_length=80)
    request: str = Field(default="", max_length=500)  # as the listener gave it
    mood: str | None = None
    genre: str | None = None
    activity: str | None = None
    at: str
    repeat: Repeat = "daily"
    timezone: str | None = None
    created_at: float

    @property
    def part_of_day(self) -> PartOfDay:
        return part_of_hour(int(check_time(self.at)[:2]))

    @property
    def key(self) -> str:
        return routine_key(self.name)


def encode_routine(routine: Routine) -> str:
    return routine.model_dump_json()


def decode_routine(body: str) -> Routine:
    """Raises pydantic's ``ValidationError`` for a body that does not parse."""
    return Routine.model_validate_json(body)


@dataclass(frozen=True, slots=True)
class RoutineMatch:
    """What "play my X routine" found: the routine, or only the part of the day X names."""

    routine: Routine | None
    part_of_day: PartOfDay | None


def find_routine(routines: list[Routine], name: str) -> Routine | None:
    """The listener's routine called ``name`` (the newest when two share it)."""
    key = routine_key(name)
    named = [r for r in routines if r.key == key]
    return max(named, key=lambda r: r.created_at) if named else None


class RoutineStore(Protocol):
    """A listener's routines, keyed by (user_id, routine_id)."""

    def ensure_schema(self) -> None:
        """Create the table if missing (idempotent)."""

    def add(self, routine: Routine) -> None:
        """Store a routine (its id is new)."""

    def for_listener(self, user_id: str) -> list[Routine]:
        """The listener's routines, oldest first."""

    def delete(self, user_id: str, routine_id: str) -> bool:
        """Delete one; False when the listener has no routine with that id."""

    def forget(self, user_id: str) -> int:
        """Delete every routine of a listener (erasure); how many were deleted."""

    def close(self) -> None:
        """Release connections."""
