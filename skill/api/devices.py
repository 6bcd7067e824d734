"""A listener's device queues: next, and what is queued (``play`` starts them).

The same ``listening`` use cases as Alexa's Next intent and AudioPlayer requests, so a queue
started by voice can be moved from the app and the other way round.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi import Path as PathParam

from listening import Listening
from playback.errors import PlaybackError
from playback.events import PlaybackEvent
from playback.queue import served_for
from skill.api.problems import ApiProblem, problem_responses
from skill.api.recommendations import UserId
from skill.api.schemas import DeviceAnswerOut, QueueOut
from skill.api.security.auth import PLAY, ApiAuth, Credentials

DeviceId = Annotated[
    str,
    PathParam(min_length=1, max_length=256, description="A device, or `app` for the app's own."),
]


def devices_router(listening: Listening, auth: ApiAuth) -> APIRouter:
    router = APIRouter(prefix="/v1/users/{user_id}/devices/{device_id}", tags=["devices"])
    playback = listening.playback

    @router.post(
        "/next",
        response_model=DeviceAnswerOut,
        responses=problem_responses(401, 403, 422, 429, 503),
    )
    def next_track(
        user_id: UserId, device_id: DeviceId, credentials: Credentials
    ) -> DeviceAnswerOut:
        """Skip to the next track of the device's queue (refilled from recommendations when
        it runs out; a fresh pick when there is no queue). Records a ``skipped`` event for
        the track that was playing: do not upload one too. When nothing is left, ``track``
        is null and ``speech`` says so."""
        listener = auth.authorize(credentials, user_id, PLAY)
        state = playback.state(listener, device_id)
        queue = state.queue
        if queue is not None and queue.current is not None:
            listening.events.record(
                PlaybackEvent(
                    kind="skipped", user_id=listener, track_id=queue.current.track_id,
                    device_id=device_id, offset_ms=queue.offset_ms, source="app",
                    served=served_for(queue, queue.current.token),
                )
            )  # fmt: skip
        answer = playback.next(state)
        state.commit(force=True)
        return DeviceAnswerOut.of(answer, device_id)

    @router.get(
        "/queue",
        response_model=QueueOut,
        responses=problem_responses(401, 403, 404, 422, 429, 503),
    )
    def queue(user_id: UserId, device_id: DeviceId, credentials: Credentials) -> QueueOut:
        """The track the device plays and those queued after it, in play order."""
        listener = auth.authorize(credentials, user_id, PLAY)
        state = playback.state(listener, device_id)
        current = state.queue
        if state.unavailable:
            raise ApiProblem(503, "Queue store unavailable", "try again shortly")
        if current is None:
            raise ApiProblem(404, "No queue on this device", "start one with POST .../play")
        try:
            lineup = playback.lineup(current)
        except PlaybackError as exc:
            raise ApiProblem(503, "Catalog unavailable", "try again shortly") from exc
        return QueueOut.of(device_id, lineup)

    return router
