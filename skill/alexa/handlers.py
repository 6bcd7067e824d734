"""ask-sdk-core request and exception handlers. ``can_handle`` only looks at the request;
the work happens in ``handle`` (through Actions and the MusicPlayer)."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components.exception_components import AbstractExceptionHandler
from ask_sdk_core.dispatch_components.request_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from nlu.parsed import Intent, ParsedRequest
from nlu.rules import RuleParser
from playback.events import EventKind
from skill.alexa import context
from skill.alexa.actions import (
    ERROR_SPEECH,
    REPROMPT_SPEECH,
    WELCOME_SPEECH,
    Actions,
)
from skill.alexa.responses import ask, speak
from skill.player import MusicPlayer, user_ref

logger = logging.getLogger(__name__)

# AudioPlayer progress reports and the play event each one records (None: nothing to record;
# NearlyFinished will enqueue the next track in a later issue).
AUDIO_EVENTS: dict[str, EventKind | None] = {
    "AudioPlayer.PlaybackStarted": "started",
    "AudioPlayer.PlaybackFinished": "finished",
    "AudioPlayer.PlaybackStopped": "stopped",
    "AudioPlayer.PlaybackFailed": "failed",
    "AudioPlayer.PlaybackNearlyFinished": None,
}

# Hardware and on-screen player buttons, read as the intents they mean.
PLAYBACK_COMMANDS: dict[str, Intent] = {
    "PlaybackController.PlayCommandIssued": "resume",
    "PlaybackController.PauseCommandIssued": "pause",
    "PlaybackController.NextCommandIssued": "next",
    "PlaybackController.PreviousCommandIssued": "previous",
}

# Requests whose responses must not carry speech.
_SILENT_PREFIXES = ("AudioPlayer.", "PlaybackController.", "System.", "SessionEndedRequest")


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _request_type(handler_input) == "LaunchRequest"

    def handle(self, handler_input: HandlerInput) -> Response:
        builder = speak(handler_input.response_builder, WELCOME_SPEECH)
        return ask(builder, REPROMPT_SPEECH).response


class IntentHandler(AbstractRequestHandler):
    """Every IntentRequest: Alexa's intent and slots to a ParsedRequest, then its action.
    Unknown intent names become a ``fallback`` answer, never an error."""

    def __init__(self, parser: RuleParser, actions: Actions) -> None:
        self._parser = parser
        self._actions = actions

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _request_type(handler_input) == "IntentRequest"

    def handle(self, handler_input: HandlerInput) -> Response:
        name, slots = context.intent_slots(handler_input)
        parsed = self._parser.from_alexa_slots(name, slots)
        logger.info(
            "intent",
            extra={
                "alexa_intent": name,
                "intent": parsed.intent,
                "confidence": parsed.confidence,
                "user": user_ref(context.user_id(handler_input)),
            },
        )
        return self._actions.answer(handler_input, parsed, voice=True)


class PlaybackCommandHandler(AbstractRequestHandler):
    """PlaybackController buttons: the same actions as the voice intents, without speech."""

    def __init__(self, actions: Actions) -> None:
        self._actions = actions

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _request_type(handler_input) in PLAYBACK_COMMANDS

    def handle(self, handler_input: HandlerInput) -> Response:
        intent = PLAYBACK_COMMANDS[_request_type(handler_input)]
        parsed = ParsedRequest(intent=intent, confidence=1.0)
        return self._actions.answer(handler_input, parsed, voice=False)


class AudioEventHandler(AbstractRequestHandler):
    """AudioPlayer progress reports: record a play event, answer with nothing."""

    def __init__(self, player: MusicPlayer) -> None:
        self._player = player

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _request_type(handler_input) in AUDIO_EVENTS

    def handle(self, handler_input: HandlerInput) -> Response:
        request_type = _request_type(handler_input)
        kind = AUDIO_EVENTS[request_type]
        position = context.event_position(handler_input)
        if request_type == "AudioPlayer.PlaybackFailed":
            error = getattr(handler_input.request_envelope.request, "error", None)
            logger.warning("playback failed", extra={"error": getattr(error, "message", None)})
        if kind is None:
            return handler_input.response_builder.response
        event = context.play_event(handler_input, kind, position)
        if event is None:
            logger.warning(
                "audio event with a token that is not ours", extra={"type": request_type}
            )
        else:
            self._player.record(event)
        return handler_input.response_builder.response


class SessionEndedHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _request_type(handler_input) == "SessionEndedRequest"

    def handle(self, handler_input: HandlerInput) -> Response:
        request = handler_input.request_envelope.request
        logger.info(
            "session ended",
            extra={
                "reason": str(getattr(request, "reason", None)),
                "error": str(getattr(request, "error", None)),
            },
        )
        return handler_input.response_builder.response


class SystemExceptionHandler(AbstractRequestHandler):
    """Alexa reports that a directive we sent failed; it allows no response content."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return _request_type(handler_input) == "System.ExceptionEncountered"

    def handle(self, handler_input: HandlerInput) -> Response:
        error = getattr(handler_input.request_envelope.request, "error", None)
        logger.error(
            "Alexa reported a failed directive", extra={"error": getattr(error, "message", None)}
        )
        return handler_input.response_builder.response


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """The outermost handler: log with the traceback, answer politely (silently where Alexa
    forbids speech)."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        request_type = _request_type(handler_input)
        logger.error(
            "unhandled error in the skill", exc_info=exception, extra={"request_type": request_type}
        )
        builder = handler_input.response_builder
        if request_type.startswith(_SILENT_PREFIXES):
            return builder.response
        return speak(builder, ERROR_SPEECH).set_should_end_session(True).response


def _request_type(handler_input: HandlerInput) -> str:
    return str(getattr(handler_input.request_envelope.request, "object_type", ""))
