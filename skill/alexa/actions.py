"""What each ParsedRequest intent does on an Alexa device.

One table for every way a request arrives: voice intents (speech allowed) and
PlaybackController button presses (``voice=False``: Alexa forbids speech there). What each
does is a ``listening`` use case (the REST API calls the same ones); moves through the
device's queue go through ``DevicePlayback`` on the request's ``ListenerState``, saved by an
interceptor after the response is built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from listening import Listening
from listening.player import PlayAnswer
from nlu.parsed import OUT_OF_SCOPE_REASONS, Intent, OutOfScopeReason, ParsedRequest
from playback.events import EventKind
from playback.queue import served_for, with_loop
from skill.alexa import context
from skill.alexa.listener_state import listener_state
from skill.alexa.responses import add_play, add_stop, ask, speak

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
ERROR_SPEECH = "Sorry, something went wrong. Please try again."
NO_AUDIO_SPEECH = "Sorry, this device can't play music. Try an Echo speaker or the Alexa app."
NOTHING_PLAYING_SPEECH = "Play something first, then tell me what you think of it."
LIKED_SPEECH = "Glad you like it."
DISLIKED_SPEECH = "Got it, I'll play less like this."
SETTING_SPEECH: dict[Intent, str] = {
    "shuffle_on": "Shuffle is on.",
    "shuffle_off": "Shuffle is off.",
    "loop_on": "I'll keep playing this list from the top when it ends.",
    "loop_off": "Loop is off.",
}

# What a request a music skill does not serve (``out_of_scope``) hears, by its reason: said
# plainly, and nothing starts playing. Volume is the device's own control.
OUT_OF_SCOPE_SPEECH: dict[OutOfScopeReason, str] = {
    "podcast": "Sorry, I can only play music, not podcasts.",
    "audiobook": "Sorry, I can only play music, not audiobooks.",
    "volume": "You can change the volume on the device itself; just say 'volume up' to it.",
    "playlist_edit": "Sorry, I can't change playlists yet.",
    "other": "Sorry, I can only help with music.",
}

_Action = Callable[[HandlerInput, ParsedRequest, bool], Response]


class Actions:
    """Answers a ParsedRequest with speech and AudioPlayer directives."""

    def __init__(self, listening: Listening) -> None:
        self._player = listening.player
        self._playback = listening.playback
        self._events = listening.events
        self._table: dict[Intent, _Action] = {
            "play_music": self._play_music,
            "next": self._next,
            "previous": self._previous,
            "pause": self._stop,
            "stop": self._stop,
            "resume": self._resume,
            "start_over": self._start_over,
            "repeat": self._start_over,
            "like": self._like,
            "dislike": self._dislike,
            "whats_playing": self._whats_playing,
            "shuffle_on": self._setting,
            "shuffle_off": self._setting,
            "loop_on": self._setting,
            "loop_off": self._setting,
            "help": self._help,
            "out_of_scope": self._out_of_scope,
            "fallback": self._fallback,
        }

    @property
    def intents(self) -> frozenset[Intent]:
        """The ParsedRequest intents this table answers."""
        return frozenset(self._table)

    def answer(
        self, handler_input: HandlerInput, parsed: ParsedRequest, *, voice: bool
    ) -> Response:
        # An intent nlu learns before this table does gets the fallback answer, not an error.
        action = self._table.get(parsed.intent, self._fallback)
        return action(handler_input, parsed, voice)

    def _skip(self, handler_input: HandlerInput) -> PlayAnswer:
        """Move to what comes after the current play (the device's, without a queue)."""
        token = context.player_state(handler_input).token
        return self._playback.next(listener_state(handler_input), playing_token=token)

    def _record_current(self, handler_input: HandlerInput, kind: EventKind) -> str | None:
        """Record ``kind`` for the track the device is playing; its id, or None."""
        state = context.player_state(handler_input)
        served = served_for(listener_state(handler_input).queue, state.token)
        event = context.play_event(handler_input, kind, state, served)
        if event is None:
            return None
        self._events.record(event)
        return event.track_id

    def _respond(
        self, handler_input: HandlerInput, answer: PlayAnswer, *, voice: bool, speech: str = ""
    ) -> Response:
        """Play the answer's track (saying ``speech`` first, if any), or say why not."""
        builder = handler_input.response_builder
        if answer.track is not None and not context.supports_audio(handler_input):
            return self._say(handler_input, NO_AUDIO_SPEECH, voice=voice)
        if answer.track is not None:
            add_play(builder, answer)
            if voice and speech:
                speak(builder, speech)
            if voice:
                builder.set_should_end_session(True)
            return builder.response
        if not voice:
            return builder.response
        speak(builder, answer.speech)
        if answer.degraded:
            return builder.set_should_end_session(True).response
        return ask(builder, REPROMPT_SPEECH).response

    # -- actions ------------------------------------------------------------------------------

    def _play_music(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        if not context.supports_audio(handler_input):
            return self._say(handler_input, NO_AUDIO_SPEECH, voice=voice)
        answer = self._playback.play(
            listener_state(handler_input), parsed, now=context.request_time(handler_input)
        )
        return self._respond(handler_input, answer, voice=voice, speech=answer.speech)

    def _next(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        self._record_current(handler_input, "skipped")
        return self._respond(handler_input, self._skip(handler_input), voice=voice)

    def _previous(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        state = listener_state(handler_input)
        if state.queue is None:
            return self._say(handler_input, NOTHING_PLAYING_SPEECH, voice=voice)
        move = self._playback.back(state.queue)
        state.update(move.queue)
        if move.answer.track is None:  # the first track: keep playing it
            return self._say(handler_input, move.answer.speech, voice=voice)
        return self._respond(handler_input, move.answer, voice=voice)

    def _stop(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        # The device answers the Stop with PlaybackStopped, which keeps the offset for resume.
        builder = handler_input.response_builder
        if context.supports_audio(handler_input):  # AudioPlayer directives fail elsewhere
            add_stop(builder)
        if voice:
            builder.set_should_end_session(True)
        return builder.response

    def _resume(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        queue = listener_state(handler_input).queue
        if queue is not None and queue.current is not None:
            answer = self._playback.resume(queue).answer
        else:  # no stored queue: what the device reports
            state = context.player_state(handler_input)
            answer = self._player.replay(state.token, state.offset_ms)
        return self._respond(handler_input, answer, voice=voice)

    def _start_over(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        state = listener_state(handler_input)
        if state.queue is not None and state.queue.current is not None:
            move = self._playback.again(state.queue)
            state.update(move.queue)
            answer = move.answer
        else:
            answer = self._player.replay(
                context.player_state(handler_input).token, fresh_token=True
            )
        return self._respond(handler_input, answer, voice=voice)

    def _like(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        recorded = self._record_current(handler_input, "liked")
        speech = NOTHING_PLAYING_SPEECH if recorded is None else LIKED_SPEECH
        return self._say(handler_input, speech, voice=voice)

    def _dislike(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        """Recorded, and the track is skipped: nobody wants to hear out one they dislike."""
        if self._record_current(handler_input, "disliked") is None:
            return self._say(handler_input, NOTHING_PLAYING_SPEECH, voice=voice)
        answer = self._skip(handler_input)
        return self._respond(handler_input, answer, voice=voice, speech=DISLIKED_SPEECH)

    def _whats_playing(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        token = context.player_state(handler_input).token
        queue = listener_state(handler_input).queue if token is None else None
        if queue is not None and queue.current is not None:
            token = queue.current.token
        return self._say(handler_input, self._player.describe(token), voice=voice)

    def _setting(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        """Shuffle and loop: they change what plays after the tracks already lined up."""
        state = listener_state(handler_input)
        if state.queue is None:
            return self._say(handler_input, NOTHING_PLAYING_SPEECH, voice=voice)
        if parsed.intent in ("shuffle_on", "shuffle_off"):
            state.update(self._playback.shuffled(state.queue, parsed.intent == "shuffle_on"))
        else:
            state.update(with_loop(state.queue, parsed.intent == "loop_on"))
        return self._say(handler_input, SETTING_SPEECH[parsed.intent], voice=voice)

    def _help(self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool) -> Response:
        if not voice:
            return handler_input.response_builder.response
        return ask(speak(handler_input.response_builder, HELP_SPEECH), REPROMPT_SPEECH).response

    def _out_of_scope(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        """Said plainly, never music. Volume ends the session (the device does it, and music
        that was playing goes on); the others ask what to play instead."""
        reason = out_of_scope_reason(parsed)
        logger.info("out of scope", extra={"reason": reason})
        if not voice:
            return handler_input.response_builder.response
        if reason == "volume":
            return self._say(handler_input, OUT_OF_SCOPE_SPEECH[reason], voice=voice)
        speech = f"{OUT_OF_SCOPE_SPEECH[reason]} {REPROMPT_SPEECH}"
        return ask(speak(handler_input.response_builder, speech), REPROMPT_SPEECH).response

    def _fallback(
        self, handler_input: HandlerInput, parsed: ParsedRequest, voice: bool
    ) -> Response:
        logger.info("fallback", extra={"reason": parsed.reason})
        if not voice:
            return handler_input.response_builder.response
        builder = speak(handler_input.response_builder, FALLBACK_SPEECH)
        return ask(builder, REPROMPT_SPEECH).response

    def _say(self, handler_input: HandlerInput, speech: str, *, voice: bool) -> Response:
        if not voice:
            return handler_input.response_builder.response
        return speak(handler_input.response_builder, speech).set_should_end_session(True).response


def out_of_scope_reason(parsed: ParsedRequest) -> OutOfScopeReason:
    """The reason of an ``out_of_scope`` request; ``other`` for one this code does not know."""
    for reason in OUT_OF_SCOPE_REASONS:
        if parsed.reason == reason:
            return reason
    return "other"
