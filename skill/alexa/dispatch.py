"""Building the ask-sdk skill and running one request envelope through it.

``handle_envelope`` is transport neutral: the HTTP app, a Lambda entry and the CLI all hand
it the parsed JSON body and send back the dict it returns.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model.request_envelope import RequestEnvelope

from nlu.rules import RuleParser
from skill.alexa.actions import Actions
from skill.alexa.errors import InvalidEnvelope
from skill.alexa.handlers import (
    AudioEventHandler,
    CatchAllExceptionHandler,
    IntentHandler,
    LaunchHandler,
    PlaybackCommandHandler,
    SessionEndedHandler,
    SystemExceptionHandler,
)
from skill.player import MusicPlayer
from skill.request_context import bound_request_id

logger = logging.getLogger(__name__)

_SERIALIZER = DefaultSerializer()


def build_skill(player: MusicPlayer, parser: RuleParser) -> CustomSkill:
    """The Philomath skill: no persistence adapter and no API client (none is needed yet)."""
    builder = CustomSkillBuilder()
    actions = Actions(player)
    for handler in (
        LaunchHandler(),
        IntentHandler(parser, actions),
        AudioEventHandler(player),
        PlaybackCommandHandler(actions),
        SessionEndedHandler(),
        SystemExceptionHandler(),
    ):
        builder.add_request_handler(handler)
    builder.add_exception_handler(CatchAllExceptionHandler())
    skill: CustomSkill = builder.create()
    return skill


def handle_envelope(skill: CustomSkill, envelope: object) -> dict[str, Any]:
    """Dispatch one Alexa request envelope; the response envelope as a JSON-ready dict.

    Raises ``InvalidEnvelope`` when ``envelope`` is not a request envelope the SDK can read
    (not an object, no ``request.type``, an unknown request type, no user id). Errors inside
    handlers never escape: the catch-all handler answers them.
    """
    _check_shape(envelope)
    try:
        request = _SERIALIZER.deserialize(json.dumps(envelope), RequestEnvelope)
    except (SerializationException, TypeError, ValueError) as exc:
        raise InvalidEnvelope(f"not a readable Alexa request envelope: {exc}") from exc
    request_id = getattr(request.request, "request_id", None)
    logger.debug(
        "alexa request",
        extra={"request_id": request_id, "request_type": request.request.object_type},
    )
    with bound_request_id(request_id):
        response = skill.invoke(request_envelope=request, context=None)
    serialized = _SERIALIZER.serialize(response)
    if not isinstance(serialized, dict):
        raise TypeError("ask-sdk serialized a response envelope to a non-object")
    return serialized


def _check_shape(envelope: object) -> None:
    """The parts every handler relies on, checked before the SDK sees the envelope."""
    if not isinstance(envelope, dict):
        raise InvalidEnvelope("the request envelope must be a JSON object")
    request = _object(envelope.get("request"))
    if not isinstance(request.get("type"), str):
        raise InvalidEnvelope("the request envelope has no request.type")
    if request["type"] == "IntentRequest" and not isinstance(
        _object(request.get("intent")).get("name"), str
    ):
        raise InvalidEnvelope("an IntentRequest needs intent.name")
    system = _object(_object(envelope.get("context")).get("System"))
    user = _object(system.get("user")) or _object(_object(envelope.get("session")).get("user"))
    if not isinstance(user.get("userId"), str) or not user["userId"]:
        raise InvalidEnvelope("the request envelope has no context.System.user.userId")


def _object(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (for shape checks)."""
    return value if isinstance(value, dict) else {}
