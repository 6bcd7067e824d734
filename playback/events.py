"""Play events: the schema published to the event stream, and the stream port."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)

EventKind = Literal["started", "finished", "skipped", "stopped", "failed", "liked", "disliked"]


def _new_event_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


class PlaybackEvent(BaseModel):
    """One thing a listener did with a track. Consumers deduplicate by ``event_id``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    event_id: str = Field(default_factory=_new_event_id, min_length=1, max_length=64)
    kind: EventKind
    user_id: str = Field(min_length=1, max_length=256)
    track_id: str = Field(min_length=1, max_length=128)
    device_id: str | None = Field(default=None, max_length=256)
    offset_ms: int = Field(default=0, ge=0)
    occurred_at: datetime = Field(default_factory=_now)
    source: Literal["alexa", "app", "cli"] = "alexa"


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
