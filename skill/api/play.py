"""Text in, a play answer out: what the app should play for "play something relaxing".

A play request starts a queue on a device (``device_id``, the app's own by default) through
the same ``listening`` use case as Alexa's PlayMusic intent; ``devices`` moves through it.
"""

from __future__ import annotations

from fastapi import APIRouter

from listening import Listening
from nlu.request_parser import RequestParser
from skill.api.problems import problem_responses
from skill.api.recommendations import UserId
from skill.api.schemas import ParsedOut, PlayAnswerOut, PlayTextIn
from skill.api.security.auth import PLAY, ApiAuth, Credentials

NOT_A_PLAY_REQUEST = "That doesn't sound like a request for music."


def play_router(listening: Listening, parser: RequestParser, auth: ApiAuth) -> APIRouter:
    router = APIRouter(prefix="/v1/users/{user_id}", tags=["play"])

    @router.post(
        "/play",
        response_model=PlayAnswerOut,
        responses=problem_responses(400, 401, 403, 422, 429, 503),
    )
    def play(user_id: UserId, body: PlayTextIn, credentials: Credentials) -> PlayAnswerOut:
        """Parse ``text``, pick the track to play and queue more like it on the device.
        Other intents (pause, next...) come back parsed, with no track: the app carries them
        out itself (``/devices/{device_id}/next`` for next)."""
        listener = auth.authorize(credentials, user_id, PLAY)
        parsed = parser.parse(body.text)
        parsed_out = ParsedOut(
            intent=parsed.intent,
            confidence=parsed.confidence,
            slots={name: slot.value for name, slot in parsed.slots.items()},
        )
        if parsed.intent != "play_music":
            return PlayAnswerOut(
                parsed=parsed_out, device_id=None, speech=NOT_A_PLAY_REQUEST, track=None,
                path="none", reason="", degraded=False,
            )  # fmt: skip
        state = listening.playback.state(listener, body.device_id)
        answer = listening.playback.play(state, parsed)
        state.commit(force=True)  # the latest request for a device wins
        return PlayAnswerOut.answering(parsed_out, answer, body.device_id)

    return router
