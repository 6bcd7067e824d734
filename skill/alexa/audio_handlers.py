"""ask-sdk-core handlers for AudioPlayer progress reports and PlaybackController buttons.

Alexa allows no speech, card or reprompt in answers to either; AudioPlayer reports may only
get AudioPlayer directives back. Each report records a play event and moves the device's
queue; PlaybackNearlyFinished enqueues the next track (gapless) once per token.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from ask_sdk_core.dispatch_components.request_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from listening import Listening
from nlu.parsed import Intent, ParsedRequest
from playback import queue as q
from playback.events import EventKind
from skill.alexa import context
from skill.alexa.actions import Actions
from skill.alexa.interceptors import request_type
from skill.alexa.listener_state import listener_state
from skill.alexa.responses import add_play

logger = logging.getLogger(__name__)

# Hardware and on-screen player buttons, read as the intents they mean.
PLAYBACK_COMMANDS: dict[str, Intent] = {
    "PlaybackController.PlayCommandIssued": "resume",
    "PlaybackController.PauseCommandIssued": "pause",
    "PlaybackController.NextCommandIssued": "next",
    "PlaybackController.PreviousCommandIssued": "previous",
}


class AudioEventHandler(AbstractRequestHandler):
    """One AudioPlayer report type: record ``kind`` (if any), then ``react``."""

    request_type: ClassVar[str] = ""
    kind: ClassVar[EventKind | None] = None

    def __init__(self, listening: Listening) -> None:
        self._listening = listening  # read in handle only: can_handle does no I/O

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input) == self.request_type

    def handle(self, handler_input: HandlerInput) -> Response:
        position = context.event_position(handler_input)
        if self.kind is not None:
            served = q.served_for(listener_state(handler_input).queue, position.token)
            event = context.play_event(handler_input, self.kind, position, served)
            if event is None:
                logger.warning("audio event with a token that is not ours")
            else:
                self._listening.events.record(event)
        if position.token is None:
            return handler_input.response_builder.response
        return self.react(handler_input, position.token, position.offset_ms)

    def react(self, handler_input: HandlerInput, token: str, offset_ms: int) -> Response:
        return handler_input.response_builder.response


class PlaybackStartedHandler(AudioEventHandler):
    request_type = "AudioPlayer.PlaybackStarted"
    kind = "started"

    def react(self, handler_input: HandlerInput, token: str, offset_ms: int) -> Response:
        state = listener_state(handler_input)
        if state.queue is not None:
            state.update(q.started(state.queue, token))  # an enqueued play is now current
        return handler_input.response_builder.response


class PlaybackNearlyFinishedHandler(AudioEventHandler):
    """Enqueue what plays next, behind ``token``: once, however often Alexa reports it."""

    request_type = "AudioPlayer.PlaybackNearlyFinished"

    def react(self, handler_input: HandlerInput, token: str, offset_ms: int) -> Response:
        builder = handler_input.response_builder
        state = listener_state(handler_input)
        user, device = context.user_id(handler_input), context.device_id(handler_input)
        queue = state.queue
        if queue is None and not state.unavailable:
            queue = self._listening.playback.adopt(state.key, token, user, device)
        if queue is None:
            return builder.response
        queue = q.promoted(queue, token)  # in case PlaybackStarted never reached us
        if queue.current is None or queue.current.token != token:
            logger.info("nearly finished for a stream that is no longer current")
            return builder.response
        if queue.enqueued is not None:
            return builder.response  # already enqueued behind this token
        move = self._listening.playback.following(queue, user, device)
        state.update(move.queue)
        if move.answer.track is None:
            return builder.response
        # Save before answering: of two reports racing for one token, one enqueues.
        if not state.commit():
            return builder.response
        return add_play(builder, move.answer, "ENQUEUE", expected_previous_token=token).response


class PlaybackFinishedHandler(AudioEventHandler):
    request_type = "AudioPlayer.PlaybackFinished"
    kind = "finished"


class PlaybackStoppedHandler(AudioEventHandler):
    """Keep where the listener stopped, so resume starts there."""

    request_type = "AudioPlayer.PlaybackStopped"
    kind = "stopped"

    def react(self, handler_input: HandlerInput, token: str, offset_ms: int) -> Response:
        state = listener_state(handler_input)
        if state.queue is not None:
            state.update(q.stopped(state.queue, token, offset_ms))
        return handler_input.response_builder.response


class PlaybackFailedHandler(AudioEventHandler):
    """Skip to the next track, unless several in a row failed (a broken media host)."""

    request_type = "AudioPlayer.PlaybackFailed"
    kind = "failed"

    def react(self, handler_input: HandlerInput, token: str, offset_ms: int) -> Response:
        error = getattr(handler_input.request_envelope.request, "error", None)
        logger.warning("playback failed", extra={"error": getattr(error, "message", None)})
        builder = handler_input.response_builder
        state = listener_state(handler_input)
        queue = state.queue
        if queue is None:
            return builder.response
        queue = q.failed(q.promoted(queue, token))
        state.update(queue)
        if queue.current is None or queue.current.token != token:
            return builder.response
        if queue.failures >= q.MAX_FAILURES:
            logger.error("%d streams failed in a row; not skipping ahead", queue.failures)
            return builder.response
        move = self._listening.playback.skip(
            queue, context.user_id(handler_input), context.device_id(handler_input)
        )
        state.update(move.queue)
        if move.answer.track is None:
            return builder.response
        return add_play(builder, move.answer).response


class PlaybackCommandHandler(AbstractRequestHandler):
    """PlaybackController buttons: the same actions as the voice intents, without speech."""

    def __init__(self, actions: Actions) -> None:
        self._actions = actions

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input) in PLAYBACK_COMMANDS

    def handle(self, handler_input: HandlerInput) -> Response:
        intent = PLAYBACK_COMMANDS[request_type(handler_input)]
        parsed = ParsedRequest(intent=intent, confidence=1.0)
        return self._actions.answer(handler_input, parsed, voice=False)


AUDIO_HANDLERS: tuple[type[AudioEventHandler], ...] = (
    PlaybackStartedHandler,
    PlaybackNearlyFinishedHandler,
    PlaybackFinishedHandler,
    PlaybackStoppedHandler,
    PlaybackFailedHandler,
)
