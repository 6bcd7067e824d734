"""Text in, a play answer out: what the app should play for "play something relaxing"."""

from __future__ import annotations

from fastapi import APIRouter

from skill.api.auth import Credentials, TokenAuthenticator
from skill.api.problems import problem_responses
from skill.api.recommendations import UserId
from skill.api.schemas import ParsedOut, PlayAnswerOut, PlayTextIn, TrackOut
from skill.parsing import RequestParser
from skill.player import MusicPlayer

NOT_A_PLAY_REQUEST = "That doesn't sound like a request for music."


def play_router(player: MusicPlayer, parser: RequestParser, auth: TokenAuthenticator) -> APIRouter:
    router = APIRouter(prefix="/v1/users/{user_id}", tags=["play"])

    @router.post(
        "/play", response_model=PlayAnswerOut, responses=problem_responses(400, 401, 403, 422)
    )
    def play(user_id: UserId, body: PlayTextIn, credentials: Credentials) -> PlayAnswerOut:
        """Parse ``text`` and pick the track to play. Other intents (pause, next...) come
        back parsed, with no track: the app carries them out itself."""
        listener = auth.authorize(credentials, user_id)
        parsed = parser.parse(body.text)
        parsed_out = ParsedOut(
            intent=parsed.intent,
            confidence=parsed.confidence,
            slots={name: slot.value for name, slot in parsed.slots.items()},
        )
        if parsed.intent != "play_music":
            return PlayAnswerOut(
                parsed=parsed_out, speech=NOT_A_PLAY_REQUEST, track=None, path="none",
                reason="", degraded=False,
            )  # fmt: skip
        answer = player.play(listener, parsed)
        track = None
        if answer.track is not None and answer.stream_url is not None:
            track = TrackOut.of(answer.track, answer.stream_url)
        return PlayAnswerOut(
            parsed=parsed_out,
            speech=answer.speech,
            track=track,
            path=answer.path,
            reason=answer.reason,
            degraded=answer.degraded,
        )

    return router
