"""Request and response bodies of the REST API (its OpenAPI schemas)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from listening.device_queue import Lineup
from listening.player import GroundedSlot, PlayAnswer, RecommendedTrack
from playback.catalog import Track
from playback.events import (
    MAX_CONTEXT_KEYS,
    MAX_PROPENSITIES,
    EventKind,
    Served,
    propensity_at,
)

_STRICT = ConfigDict(extra="forbid")
TrackId = Field(min_length=1, max_length=128)
APP_DEVICE = "app"  # the device queue of requests that name none: the app's own player


class ServedIO(BaseModel):
    """What served a track: send it back unchanged in the ``served`` of the events about that
    track, so its plays and skips are credited to the list (and model) that offered it."""

    model_config = _STRICT

    impression_id: str = Field(
        min_length=1, max_length=64, description="One list shown to the listener."
    )
    position: int = Field(ge=0, le=10_000, description="The track's place in it, 0 first.")
    path: str = Field(
        min_length=1, max_length=32, description="The router's path that served the list."
    )
    model_version: str = Field(default="", max_length=128)
    context: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_CONTEXT_KEYS,
        description="The request's facets (mood, genre, popular, artist, track, part_of_day) "
        "and `exp.<experiment>`: the variant of each A/B experiment that served the list.",
    )
    propensities: list[Annotated[float, Field(gt=0.0, le=1.0)]] = Field(
        default_factory=list,
        max_length=MAX_PROPENSITIES,
        description="How likely the serving policy put each of the list's first tracks at "
        "its place (positions past the end: certain); empty when unknown.",
    )
    propensity: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="How likely the serving policy put this track at `position` (derived "
        "from `propensities`; ignored when sent back).",
    )

    @classmethod
    def of(cls, served: Served | None) -> ServedIO | None:
        if served is None:
            return None
        return cls(**served.model_dump(), propensity=served.propensity)

    def to_served(self) -> Served:
        return Served(**self.model_dump(exclude={"propensity"}))


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
    served: ServedIO | None = Field(
        default=None,
        description="What served this track (its impression and position); echo it in events.",
    )

    @classmethod
    def of(cls, track: Track, stream_url: str, served: Served | None = None) -> TrackOut:
        position = served.position if served is not None else 0
        return cls.listed([(track, stream_url)], served, position)[0]

    @classmethod
    def listed(
        cls, tracks: Sequence[tuple[Track, str]], served: Served | None, first: int = 0
    ) -> list[TrackOut]:
        """``of`` for each (track, stream URL) of one list, the i-th served at ``first + i``.
        What the catalog and the router made is not validated again: a page builds ten of
        these, and validating them was a sixth of the call (BENCHMARKS.md,
        "2026-12-07 (late night)"). ``tests/unit/test_api_track_lists.py`` holds it to the
        validated models."""
        shared = served.model_dump() | {"propensities": list(served.propensities)} if served else {}
        listed = []
        for index, (track, stream_url) in enumerate(tracks):
            served_io = None
            if served is not None:
                position = first + index
                served_io = ServedIO.model_construct(
                    **(shared | {"position": position}),
                    propensity=propensity_at(served.propensities, position),
                )
            listed.append(
                cls.model_construct(
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
                    served=served_io,
                )
            )
        return listed

    @classmethod
    def of_item(cls, item: RecommendedTrack) -> TrackOut:
        return cls.of(item.track, item.stream_url)


class RecommendationsPage(BaseModel):
    user_id: str
    path: str = Field(description="personalized, popular, cold_start or fallback")
    reason: str
    model_version: str
    degraded: bool = Field(description="A backend was down; the answer is a fallback.")
    impression_id: str | None = Field(
        default=None, description="This page's impression; each item's `served` names it."
    )
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
    device_id: str = Field(
        default=APP_DEVICE,
        min_length=1,
        max_length=256,
        description="The device whose queue a play request starts (the app's own by default).",
    )


class ParsedOut(BaseModel):
    intent: str
    confidence: float
    slots: dict[str, str]


class DeviceAnswerOut(BaseModel):
    """What a device plays now, and what to say."""

    device_id: str | None = Field(description="The device whose queue moved; null: none did.")
    speech: str
    track: TrackOut | None = Field(description="null: nothing to play; speech says why.")
    path: str = Field(
        description=(
            "personalized, popular, cold_start, artist or fallback (the router's paths), "
            "queue (the next track of the device's queue), resume or none"
        )
    )
    reason: str
    degraded: bool

    @classmethod
    def of(cls, answer: PlayAnswer, device_id: str | None) -> DeviceAnswerOut:
        track = None
        if answer.track is not None and answer.stream_url is not None:
            track = TrackOut.of(answer.track, answer.stream_url, answer.served)
        return cls(
            device_id=device_id, speech=answer.speech, track=track, path=answer.path,
            reason=answer.reason, degraded=answer.degraded,
        )  # fmt: skip


class PlayAnswerOut(DeviceAnswerOut):
    parsed: ParsedOut
    not_found: dict[GroundedSlot, str] = Field(
        default_factory=dict,
        description=(
            "What the text names that the catalog does not have (artist, track or album: the "
            'name as said), e.g. `{"artist": "Imogen Heap"}`. `track`, if any, is then the '
            "closest the catalog has, and `speech` says so first (\"I couldn't find Imogen "
            'Heap; here is something close."). Empty when everything named was found.'
        ),
        examples=[{"artist": "Imogen Heap"}],
    )

    @classmethod
    def answering(
        cls, parsed: ParsedOut, answer: PlayAnswer, device_id: str | None
    ) -> PlayAnswerOut:
        return cls(
            parsed=parsed,
            not_found=dict(answer.not_found),
            **DeviceAnswerOut.of(answer, device_id).model_dump(),
        )


class QueueOut(BaseModel):
    """A device's queue: the track playing and those after it, in play order."""

    device_id: str
    now_playing: TrackOut | None
    upcoming: list[TrackOut] = Field(description="At most 50, in play order.")
    offset_ms: int = Field(description="Where the listener stopped the current track.")
    loop: bool
    shuffle: bool

    @classmethod
    def of(cls, device_id: str, lineup: Lineup) -> QueueOut:
        now = lineup.now_playing
        return cls(
            device_id=device_id,
            now_playing=TrackOut.of_item(now) if now is not None else None,
            upcoming=[TrackOut.of_item(item) for item in lineup.upcoming],
            offset_ms=lineup.offset_ms,
            loop=lineup.loop,
            shuffle=lineup.shuffle,
        )


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
    served: ServedIO | None = Field(
        default=None,
        description="The `served` of the track as a recommendation or play answer gave it.",
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
