"""What app listeners do: batches of play events, and likes and dislikes."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam

from listening import Listening
from playback.errors import PlaybackError
from playback.events import PlaybackEvent
from skill.api.problems import ApiProblem, problem_responses
from skill.api.recommendations import UserId
from skill.api.schemas import EventBatchIn, EventBatchOut, EventIn, FeedbackOut
from skill.api.security.auth import EVENTS, ApiAuth, Credentials

TrackPath = Annotated[str, PathParam(min_length=1, max_length=128)]


def _event(listener: str, event: EventIn) -> PlaybackEvent:
    optional: dict[str, Any] = {}
    if event.occurred_at is not None:
        stamp = event.occurred_at
        optional["occurred_at"] = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    if event.event_id is not None:
        optional["event_id"] = event.event_id
    return PlaybackEvent(
        kind=event.kind,
        user_id=listener,
        track_id=event.track_id,
        device_id=event.device_id,
        offset_ms=event.offset_ms,
        source="app",
        served=event.served.to_served() if event.served is not None else None,
        **optional,
    )


def events_router(listening: Listening, auth: ApiAuth) -> APIRouter:
    router = APIRouter(prefix="/v1/users/{user_id}", tags=["events"])

    @router.post(
        "/events",
        status_code=202,
        response_model=EventBatchOut,
        responses=problem_responses(400, 401, 403, 422, 429, 503),
    )
    def ingest(user_id: UserId, body: EventBatchIn, credentials: Credentials) -> EventBatchOut:
        """Up to 500 events, in order. Delivery is at least once: give each an
        ``event_id`` so a retried upload is deduplicated downstream."""
        listener = auth.authorize(credentials, user_id, EVENTS)
        published = listening.events.record_all([_event(listener, e) for e in body.events])
        return EventBatchOut(accepted=len(body.events), published=published)

    def feedback(
        user_id: str, track_id: str, credentials: Credentials, rating: Literal["like", "dislike"]
    ) -> FeedbackOut:
        listener = auth.authorize(credentials, user_id, EVENTS)
        try:
            known = listening.player.track(track_id) is not None
        except PlaybackError as exc:
            raise ApiProblem(503, "Catalog unavailable", "try again shortly") from exc
        if not known:
            raise ApiProblem(404, "Unknown track", "no such track in the catalog")
        kind: Literal["liked", "disliked"] = "liked" if rating == "like" else "disliked"
        event = PlaybackEvent(kind=kind, user_id=listener, track_id=track_id, source="app")
        return FeedbackOut(
            track_id=track_id, rating=rating, published=listening.events.record(event)
        )

    feedback_responses = problem_responses(401, 403, 404, 422, 429, 503)

    @router.post(
        "/tracks/{track_id}/like",
        status_code=202,
        response_model=FeedbackOut,
        responses=feedback_responses,
    )
    def like(user_id: UserId, track_id: TrackPath, credentials: Credentials) -> FeedbackOut:
        return feedback(user_id, track_id, credentials, "like")

    @router.post(
        "/tracks/{track_id}/dislike",
        status_code=202,
        response_model=FeedbackOut,
        responses=feedback_responses,
    )
    def dislike(user_id: UserId, track_id: TrackPath, credentials: Credentials) -> FeedbackOut:
        return feedback(user_id, track_id, credentials, "dislike")

    return router
