"""Request and response bodies of the REST API (its OpenAPI schemas)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from playback.catalog import Track
from playback.events import EventKind

_STRICT = ConfigDict(extra="forbid")
TrackId = Field(min_length=1, max_length=128)


class TrackOut(BaseModel):
    track_id: str
    title: str
    artist: str
    album: str | None
    genre: str | None
    moods: list[str]
    duration_ms: int
    explicit: bool
    release_year: int | None
    stream_url: str = Field(description="Signed, expiring URL of the audio.")

    @classmethod
    def of(cls, track: Track, stream_url: str) -> TrackOut:
        return cls(
            track_id=track.track_id,
            title=track.title,
            artist=track.artist_name,
            album=track.album_title,
            genre=track.genre,
            moods=list(track.moods),
            duration_ms=track.duration_ms,
            explicit=track.explicit,
            release_year=track.release_year,
            stream_url=stream_url,
        )


class RecommendationsPage(BaseModel):
    user_id: str
    path: str = Field(description="personalized, popular, cold_start or fallback")
    reason: str
    model_version: str
    degraded: bool = Field(description="A backend was down; the answer is a fallback.")
    items: list[TrackOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class PlaylistRequest(BaseModel):
    model_config = _STRICT

    size: int = Field(default=20, ge=1, le=100)
    mood: str | None = Field(default=None, max_length=64)
    genre: str | None = Field(default=None, max_length=64)
    popular: bool = False
    allow_explicit: bool = True
    exclude: list[str] = Field(
        default_factory=list, max_length=500, description="Track ids not to include."
    )


class PlaylistOut(BaseModel):
    user_id: str
    tracks: list[TrackOut]
    dropped: dict[str, int] = Field(description="Candidates filtered out, by reason.")
    path: str
    reason: str
    degraded: bool


class PlayTextIn(BaseModel):
    model_config = _STRICT

    text: str = Field(min_length=1, max_length=500, examples=["play something relaxing"])


class ParsedOut(BaseModel):
    intent: str
    confidence: float
    slots: dict[str, str]


class PlayAnswerOut(BaseModel):
    parsed: ParsedOut
    speech: str
    track: TrackOut | None
    path: str
    reason: str
    degraded: bool


class EventIn(BaseModel):
    model_config = _STRICT

    kind: EventKind
    track_id: str = TrackId
    offset_ms: int = Field(default=0, ge=0, le=86_400_000)
    occurred_at: datetime | None = None
    device_id: str | None = Field(default=None, min_length=1, max_length=256)
    event_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="For deduplication downstream."
    )


class EventBatchIn(BaseModel):
    model_config = _STRICT

    events: list[EventIn] = Field(min_length=1, max_length=500)


class EventBatchOut(BaseModel):
    accepted: int
    published: bool = Field(description="False: the stream is down and they wait on disk.")


class FeedbackOut(BaseModel):
    track_id: str
    rating: str
    published: bool


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]
