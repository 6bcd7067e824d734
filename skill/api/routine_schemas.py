"""Bodies of the routines API (``skill.api.routines``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from listening.routines import Repeat, Routine, check_time
from playback.day_parts import PartOfDay, is_timezone
from skill.api.schemas import APP_DEVICE

_STRICT = ConfigDict(extra="forbid")


class RoutineIn(BaseModel):
    """A routine to declare: its name, what to play, when (local time) and how often."""

    model_config = _STRICT

    name: str = Field(min_length=1, max_length=80, examples=["meditation"])
    request: str | None = Field(
        default=None,
        max_length=500,
        description='What to play, as a listener would say it ("meditation", "calm jazz"); '
        "read once, now, into a mood, genre or activity. Leave it out for the listener's own "
        "music at that part of the day.",
        examples=["meditation"],
    )
    mood: str | None = Field(default=None, max_length=64, description="Or a mood, structured.")
    genre: str | None = Field(default=None, max_length=64, description="Or a genre, structured.")
    at: str = Field(description="Local 24-hour time, HH:MM.", examples=["22:00"])
    repeat: Repeat = "daily"
    timezone: str | None = Field(
        default=None,
        max_length=64,
        description='IANA timezone of `at` ("Europe/Berlin"); without it the listener\'s '
        "country's zone, else UTC.",
    )

    @field_validator("at")
    @classmethod
    def _time(cls, value: str) -> str:
        return check_time(value)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and not is_timezone(value):
            raise ValueError(f"not an IANA timezone: {value!r}")
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a routine needs a name")
        return value.strip()


class RoutineOut(BaseModel):
    id: str
    name: str
    request: str
    mood: str | None
    genre: str | None
    activity: str | None
    at: str
    repeat: Repeat
    timezone: str | None
    part_of_day: PartOfDay = Field(description="The part of the day `at` falls in.")

    @classmethod
    def of(cls, routine: Routine) -> RoutineOut:
        return cls(
            id=routine.routine_id, name=routine.name, request=routine.request,
            mood=routine.mood, genre=routine.genre, activity=routine.activity, at=routine.at,
            repeat=routine.repeat, timezone=routine.timezone, part_of_day=routine.part_of_day,
        )  # fmt: skip


class RoutinesOut(BaseModel):
    routines: list[RoutineOut]


class RoutinePlayIn(BaseModel):
    model_config = _STRICT

    device_id: str = Field(
        default=APP_DEVICE,
        min_length=1,
        max_length=256,
        description="The device whose queue the routine starts (the app's own by default).",
    )
