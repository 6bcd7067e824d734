"""ask-sdk-core handlers for IntentRequests, one per group of Alexa intents.

Each handler declares the Alexa intents it answers and the slots it reads (``intents``);
a test holds these against ``interaction_models/`` both ways. All of them read the intent
through the parser into a ParsedRequest and answer through ``Actions``, so a voice intent
and a free-text request behave the same. ``can_handle`` looks at the intent name only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from ask_sdk_core.dispatch_components.request_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from nlu.request_parser import RequestParser
from skill.alexa import context
from skill.alexa.actions import Actions
from skill.alexa.interceptors import intent_name, note_on_turn


class VoiceIntentHandler(AbstractRequestHandler):
    """Answers the Alexa intents in ``intents`` (intent name -> the slot names it reads)."""

    intents: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(self, parser: RequestParser, actions: Actions) -> None:
        self._parser = parser
        self._actions = actions

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) in self.intents

    def handle(self, handler_input: HandlerInput) -> Response:
        name, slots = context.intent_slots(handler_input)
        parsed = self._parser.from_alexa_slots(name, slots)
        note_on_turn(handler_input, intent=parsed.intent, confidence=parsed.confidence)
        return self._actions.answer(handler_input, parsed, voice=True)


class PlayMusicHandler(VoiceIntentHandler):
    """ "play some relaxing jazz", "play songs by Norah Vale": slots filled by Alexa."""

    intents = {
        "PlayMusicIntent": (
            "Mood", "Genre", "Artist", "Track", "Album", "Playlist", "Activity", "Era", "Sort",
            "PartOfDay", "Recurrence",
        ),
    }  # fmt: skip


class PlayRoutineHandler(VoiceIntentHandler):
    """ "play my night routine", "start my meditation routine"."""

    intents = {"PlayRoutineIntent": ("Routine",)}


class SearchQueryHandler(VoiceIntentHandler):
    """Free text after a carrier phrase (AMAZON.SearchQuery), parsed by nlu."""

    intents = {"PlayRequestIntent": ("Query",)}


class PauseHandler(VoiceIntentHandler):
    intents = {"AMAZON.PauseIntent": ()}


class ResumeHandler(VoiceIntentHandler):
    intents = {"AMAZON.ResumeIntent": ()}


class NextHandler(VoiceIntentHandler):
    intents = {"AMAZON.NextIntent": ()}


class PreviousHandler(VoiceIntentHandler):
    intents = {"AMAZON.PreviousIntent": ()}


class StopHandler(VoiceIntentHandler):
    intents = {"AMAZON.StopIntent": (), "AMAZON.CancelIntent": (), "AMAZON.NavigateHomeIntent": ()}


class HelpHandler(VoiceIntentHandler):
    intents = {"AMAZON.HelpIntent": ()}


class FallbackHandler(VoiceIntentHandler):
    intents = {"AMAZON.FallbackIntent": ()}


class LoopHandler(VoiceIntentHandler):
    intents = {"AMAZON.LoopOnIntent": (), "AMAZON.LoopOffIntent": ()}


class ShuffleHandler(VoiceIntentHandler):
    intents = {"AMAZON.ShuffleOnIntent": (), "AMAZON.ShuffleOffIntent": ()}


class StartOverHandler(VoiceIntentHandler):
    """Start over and repeat: the current track again from the beginning."""

    intents = {"AMAZON.StartOverIntent": (), "AMAZON.RepeatIntent": ()}


class FeedbackHandler(VoiceIntentHandler):
    intents = {"LikeIntent": (), "DislikeIntent": ()}


class WhatsPlayingHandler(VoiceIntentHandler):
    intents = {"WhatsPlayingIntent": ()}


class UnknownIntentHandler(VoiceIntentHandler):
    """Any other intent name (a stale model, a hand-made request): a polite fallback."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return intent_name(handler_input) is not None


INTENT_HANDLERS: tuple[type[VoiceIntentHandler], ...] = (
    PlayMusicHandler,
    PlayRoutineHandler,
    SearchQueryHandler,
    PauseHandler,
    ResumeHandler,
    NextHandler,
    PreviousHandler,
    StopHandler,
    HelpHandler,
    FallbackHandler,
    LoopHandler,
    ShuffleHandler,
    StartOverHandler,
    FeedbackHandler,
    WhatsPlayingHandler,
    UnknownIntentHandler,  # last: it takes any intent
)


def handled_intents() -> dict[str, tuple[str, ...]]:
    """Every Alexa intent a handler declares, with the slots it reads."""
    found: dict[str, tuple[str, ...]] = {}
    for handler in INTENT_HANDLERS:
        found.update(handler.intents)
    return found
