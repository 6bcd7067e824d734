"""Play events: the schema published to the event stream, and the stream port.

Schema versions: 1 (what every event was until attribution) and 2, which may carry
``served``: what served the track (impression, list position, routing path, model version,
the request's context and the policy's propensities), so plays and skips can be credited to
a model. Version 1 records already in a stream still parse; a version 1 record carrying
``served`` does not.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

logger = logging.getLogger(__name__)

EventKind = Literal["started", "finished", "skipped", "stopped", "failed", "liked", "disliked"]


def _new_event_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


def new_impression_id() -> str:
    """A fresh id for one list shown (served) to a listener."""
    return uuid.uuid4().hex


# The request context ``Served.context`` may name (mood, genre, popular, artist, track, part
# of the day) and the variant of each running A/B experiment that served (at most 8).
MAX_CONTEXT_KEYS = 16
MAX_PROPENSITIES = 100  # the re-ranker's top k at most


def propensity_at(propensities: Sequence[float], position: int) -> float | None:
    """The probability a list's ``propensities`` give its ``position`` (past their end:
    certain); None when they are unknown (empty)."""
    if not propensities:
        return None
    return propensities[position] if position < len(propensities) else 1.0


class Served(BaseModel):
    """What served a track: one impression (a list shown to a listener for one request) and
    the track's ``position`` in it (0 is the first). ``path`` is the router's path
    (personalized, popular, cold_start, artist, fallback) and ``model_version`` the model
    whose list it came from; ``context`` the request's facets (mood, genre...) as text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    impression_id: str = Field(min_length=1, max_length=64)
    position: int = Field(ge=0, le=10_000)
    path: str = Field(min_length=1, max_length=32)
    model_version: str = Field(default="", max_length=128)
    context: dict[str, str] = Field(default_factory=dict, max_length=MAX_CONTEXT_KEYS)
    # The probability the serving policy put the list's first tracks at their places (one
    # per position from 0; positions past its end were certain); () for lists served before
    # the re-ranker, whose propensity is unknown.
    propensities: tuple[float, ...] = Field(default=(), max_length=MAX_PROPENSITIES)

    @field_validator("propensities")
    @classmethod
    def _probabilities(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0.0 < p <= 1.0 for p in value):
            raise ValueError("propensities must be within (0, 1]")
        return value

    @property
    def propensity(self) -> float | None:
        """The probability the policy put this track at ``position``; None when unknown."""
        return propensity_at(self.propensities, self.position)

    def at(self, position: int) -> Served:
        """The same impression at another position of its list."""
        return self.model_copy(update={"position": position})


class PlaybackEvent(BaseModel):
    """One thing a listener did with a track. Consumers deduplicate by ``event_id``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1, 2] = 2
    event_id: str = Field(default_factory=_new_event_id, min_length=1, max_length=64)
    kind: EventKind
    user_id: str = Field(min_length=1, max_length=256)
    track_id: str = Field(min_length=1, max_length=128)
    device_id: str | None = Field(default=None, max_length=256)
    offset_ms: int = Field(default=0, ge=0)
    occurred_at: datetime = Field(default_factory=_now)
    source: Literal["alexa", "app", "cli"] = "alexa"
    # What served the track (version 2); None for a track nobody recommended (a replay of
    # a foreign stream, a like by track id) or an event of version 1.
    served: Served | None = None

    @model_validator(mode="after")
    def _served_needs_v2(self) -> PlaybackEvent:
        if self.served is not None and self.schema_version < 2:
            raise ValueError("served needs schema_version 2")
        return self


def parse_record(body: str | bytes, position: str) -> PlaybackEvent | None:
    """The event in a stream record's ``body``, or None (logged at ERROR with ``position``)
    when it is not a valid event. Every ``EventStream`` adapter skips such records."""
    try:
        return PlaybackEvent.model_validate_json(body)
    except ValidationError as exc:
        # Locations and error types only: the input may hold a user id, which is not logged.
        problems = [(error["loc"], error["type"]) for error in exc.errors(include_input=False)]
        logger.error(
            "skipping event at position %s that does not parse: %s",
            position,
            problems,
            extra={"position": position},
        )
        return None


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """An event read back from the stream with its opaque position."""

    position: str
    event: PlaybackEvent


class EventStream(Protocol):
    """A durable, ordered stream of play events.

    Adapters: ``SqliteEventStream`` (embedded default, durable on local disk),
    ``KinesisEventStream``, ``RedisEventStream`` (Redis Streams). Every method may raise
    ``StreamUnavailable``.
    """

    def ensure_schema(self) -> None:
        """Create the stream (table or Kinesis stream) if missing (idempotent)."""

    def publish(self, events: Sequence[PlaybackEvent]) -> None:
        """Append events; when this returns they are durable."""

    def read(self, after: str | None, limit: int = 100) -> list[StreamRecord]:
        """Up to ``limit`` records after position ``after`` (from the start when None), in
        publish order per user. Pass the last record's position to continue."""

    def close(self) -> None:
        """Release connections."""
