"""What each ParsedRequest intent does on an Alexa device.

One table for every way a request arrives: voice intents (speech allowed) and
PlaybackController button presses (``voice=False``: Alexa forbids speech there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from nlu.parsed import Intent, ParsedRequest
from playback.events import EventKind
from skill.alexa import context
from skill.alexa.responses import add_play, add_stop, ask, speak
from skill.player import MusicPlayer, PlayAnswer

logger = logging.getLogger(__name__)

WELCOME_SPEECH = (
    "Welcome to Philomath. What would you like to hear? You can say, play something relaxing."
)
REPROMPT_SPEECH = "What would you like to hear?"
HELP_SPEECH = (
    "You can say, play something relaxing, play some jazz, play songs by an artist, or play "
    "the top hits. While music plays, say next, pause or resume. What would you like to hear?"
)
FALLBACK_SPEECH = (
    "Sorry, I didn't get that. You can say, play something relaxing, or play songs by an artist."
)
UNSUPPORTED_SPEECH = "Sorry, I can't do that yet."
ERROR_SPEECH = "Sorry, something went wrong. Please try again."
NO_AUDIO_SPEECH = "Sorry, this device can't play music. Try an Echo speaker or the Alexa app."
NOTHING_PLAYING_SPEECH = "Play something first, then tell me what you think of it."

_Action = Callable[[HandlerInput, ParsedRequest, bool], Response]


class Actions:
    """Answers a ParsedRequest with speech and AudioPlayer directives."""

    def __init__(self, player: MusicPlayer) -> None:
        self._player = player
        self._table: dict[Intent, _Action] = {
            "play_music": self._play_music,
            "next": self._next,
            "pause": self._stop,
            "stop": self._stop,
            "resume": self._resume,
            "start_over": self._start_over,
            "repeat": self._start_over,
            "like": self._feedback,
            "dislike": self._feedback,
            "whats_playing": self._whats_playing,
            "help": self._help,
            "fallback": self._fallback,
        }

    def answer(
        self, handler_input: HandlerInput, parsed: ParsedRequest, *, voice: bool
    ) -> Response:
        action = self._table.get(parsed.intent, self._unsupported)
        return action(handler_input, parsed, voice)

    def _play_music(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        answer = self._player.play(
            context.user_id(handler_input), parsed, context.device_id(handler_input)
        )
        return self._respond(handler_input, answer, voice=voice, announce=True)

    def _next(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        current = self._record_current(handler_input, "skipped")
        answer = self._player.play(
            context.user_id(handler_input),
            ParsedRequest(intent="play_music", confidence=parsed.confidence),
            context.device_id(handler_input),
            exclude=frozenset([current]) if current else frozenset(),
        )
        return self._respond(handler_input, answer, voice=voice, announce=False)

    def _stop(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        builder = add_stop(handler_input.response_builder)
        if voice:
            builder.set_should_end_session(True)
        return builder.response

    def _resume(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        state = context.player_state(handler_input)
        answer = self._player.replay(state.token, state.offset_ms)
        return self._respond(handler_input, answer, voice=voice, announce=False)

    def _start_over(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        answer = self._player.replay(context.player_state(handler_input).token, fresh_token=True)
        return self._respond(handler_input, answer, voice=voice, announce=False)

    def _feedback(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        liked = parsed.intent == "like"
        recorded = self._record_current(handler_input, "liked" if liked else "disliked")
        if not voice:
            return handler_input.response_builder.response
        if recorded is None:
            speech = NOTHING_PLAYING_SPEECH
        else:
            speech = "Glad you like it." if liked else "Got it, I'll play less like this."
        builder = speak(handler_input.response_builder, speech)
        return builder.set_should_end_session(True).response

    def _whats_playing(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        speech = self._player.describe(context.player_state(handler_input).token)
        return self._say(handler_input, speech, voice=voice)

    def _help(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        if not voice:
            return handler_input.response_builder.response
        return ask(speak(handler_input.response_builder, HELP_SPEECH), REPROMPT_SPEECH).response

    def _fallback(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        logger.info("fallback", extra={"reason": parsed.reason})
        if not voice:
            return handler_input.response_builder.response
        builder = speak(handler_input.response_builder, FALLBACK_SPEECH)
        return ask(builder, REPROMPT_SPEECH).response

    def _unsupported(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        return self._say(handler_input, UNSUPPORTED_SPEECH, voice=voice)

    def _say(self, handler_input: HandlerInput, speech: str, *, voice: bool) -> Response:
        if not voice:
            return handler_input.response_builder.response
        return speak(handler_input.response_builder, speech).set_should_end_session(True).response

    def _respond(
        self, handler_input: HandlerInput, answer: PlayAnswer, *, voice: bool, announce: bool
    ) -> Response:
        """Play the answer's track (saying so when ``announce``), or say why not."""
        builder = handler_input.response_builder
        if answer.track is not None and not context.supports_audio(handler_input):
            return self._say(handler_input, NO_AUDIO_SPEECH, voice=voice)
        if answer.track is not None:
            add_play(builder, answer)
            if voice and announce:
                speak(builder, answer.speech)
            if voice:
                builder.set_should_end_session(True)
            return builder.response
        if not voice:
            return builder.response
        speak(builder, answer.speech)
        if answer.degraded:
            return builder.set_should_end_session(True).response
        return ask(builder, REPROMPT_SPEECH).response

    def _record_current(self, handler_input: HandlerInput, kind: EventKind) -> str | None:
        """Record ``kind`` for the track the device is playing; its id, or None."""
        event = context.play_event(handler_input, kind, context.player_state(handler_input))
        if event is None:
            return None
        self._player.record(event)
        return event.track_id
