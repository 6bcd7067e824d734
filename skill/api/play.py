"""Text in, a play answer out: what the app should play for "play something relaxing".

A play request starts a queue on a device (``device_id``, the app's own by default) through
the same ``listening`` use case as Alexa's PlayMusic intent; ``devices`` moves through it.
Text understood as something a music service does not do (a podcast, the volume...) is a
422 ``out-of-scope`` problem with its reason, never music.
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter

from listening import Listening
from nlu.parsed import ParsedRequest
from nlu.request_parser import RequestParser
from skill.api.problems import OUT_OF_SCOPE, ApiProblem, OutOfScopeProblem, problem_responses
from skill.api.recommendations import UserId
from skill.api.schemas import ParsedOut, PlayAnswerOut, PlayTextIn
from skill.api.security.auth import PLAY, ApiAuth, Credentials

logger = logging.getLogger(__name__)

NOT_A_PLAY_REQUEST = "That doesn't sound like a request for music."
# What an out_of_scope request asks for, by its reason (the problem's detail).
OUT_OF_SCOPE_ASKS = {
    "podcast": "a podcast",
    "audiobook": "an audiobook",
    "volume": "a volume change, which the device itself does",
    "playlist_edit": "a change to a playlist",
    "other": "something other than music",
}
OUT_OF_SCOPE_RESPONSE = (
    f"or the text asks for something other than music (type `{OUT_OF_SCOPE}`, with its reason)",
    OutOfScopeProblem,
)


def out_of_scope_problem(parsed: ParsedRequest) -> ApiProblem:
    """The 422 for text a music service does not serve; its reason as an extension member."""
    reason = parsed.reason if parsed.reason in OUT_OF_SCOPE_ASKS else "other"
    logger.info("out of scope", extra={"reason": reason})
    return ApiProblem(
        422,
        "Not a music request",
        f"Only music can be played; the text asks for {OUT_OF_SCOPE_ASKS[reason]}.",
        type=OUT_OF_SCOPE,
        extensions={"reason": reason},
    )


def play_router(listening: Listening, parser: RequestParser, auth: ApiAuth) -> APIRouter:
    router = APIRouter(prefix="/v1/users/{user_id}", tags=["play"])

    @router.post(
        "/play",
        response_model=PlayAnswerOut,
        responses=problem_responses(
            400, 401, 403, 422, 429, 503, typed={422: OUT_OF_SCOPE_RESPONSE}
        ),
    )
    def play(user_id: UserId, body: PlayTextIn, credentials: Credentials) -> PlayAnswerOut:
        """Parse ``text``, pick the track to play and queue more like it on the device.
        Other intents (pause, next...) come back parsed, with no track: the app carries them
        out itself (``/devices/{device_id}/next`` for next). Text asking for something
        other than music (a podcast, the volume...) is a 422 ``out-of-scope`` problem."""
        listener = auth.authorize(credentials, user_id, PLAY)
        parsed = parser.parse(body.text)
        if parsed.intent == "out_of_scope":
            raise out_of_scope_problem(parsed)
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
        answer = listening.playback.play(state, parsed, now=time.time())
        state.commit(force=True)  # the latest request for a device wins
        return PlayAnswerOut.answering(parsed_out, answer, body.device_id)

    return router
