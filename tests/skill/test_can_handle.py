"""``can_handle`` only looks at the request: with dependencies that fail on any use, every
handler still decides, and each golden request type finds a handler that is not the
catch-all."""

from __future__ import annotations

import json
from unittest.mock import Mock

import pytest
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model.request_envelope import RequestEnvelope

from skill.alexa.account import SkillDisabledHandler
from skill.alexa.audio_handlers import AUDIO_HANDLERS, PlaybackCommandHandler
from skill.alexa.handlers import LaunchHandler, SessionEndedHandler, SystemExceptionHandler
from skill.alexa.intent_handlers import INTENT_HANDLERS, UnknownIntentHandler
from tests.skill.golden import ENVELOPES, load_envelope

GOLDEN = sorted(p.stem for p in ENVELOPES.glob("*.json") if not p.stem.startswith("malformed"))


def handlers() -> list[object]:
    untouchable = Mock(spec=[])  # any attribute use raises AttributeError
    return [
        LaunchHandler(),
        *(h(untouchable, untouchable) for h in INTENT_HANDLERS),
        *(h(untouchable) for h in AUDIO_HANDLERS),
        PlaybackCommandHandler(untouchable),
        SessionEndedHandler(),
        SystemExceptionHandler(),
        SkillDisabledHandler(untouchable, untouchable),
    ]


@pytest.mark.parametrize("name", GOLDEN)
def test_can_handle_uses_nothing_but_the_request(name: str) -> None:
    envelope = DefaultSerializer().deserialize(json.dumps(load_envelope(name)), RequestEnvelope)
    handler_input = HandlerInput(request_envelope=envelope)
    takers = [h for h in handlers() if h.can_handle(handler_input)]  # type: ignore[attr-defined]
    assert takers, f"no handler for {name}"
    first = takers[0]
    if name != "unknown_intent":
        assert not isinstance(first, UnknownIntentHandler), name
