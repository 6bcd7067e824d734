"""Building the ask-sdk skill and running one request envelope through it.

``handle_envelope`` is transport neutral: the HTTP app, a Lambda entry and the CLI all hand
it the parsed JSON body and send back the dict it returns.
"""

from __future__ import annotations

import logging
from typing import Any

from ask_sdk_core.dispatch_components.request_components import AbstractRequestInterceptor
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model.request_envelope import RequestEnvelope

from listening import Listening
from listening.erasure import Erasure
from listening.identity import ListenerResolver
from nlu.request_parser import RequestParser
from skill.alexa.account import LinkAccountHandler, ResolveListener, SkillDisabledHandler
from skill.alexa.actions import Actions
from skill.alexa.audio_handlers import AUDIO_HANDLERS, PlaybackCommandHandler
from skill.alexa.errors import EnvelopeTooDeep, InvalidEnvelope
from skill.alexa.handlers import (
    CatchAllExceptionHandler,
    LaunchHandler,
    SessionEndedHandler,
    SystemExceptionHandler,
    UnservedRequestHandler,
)
from skill.alexa.intent_handlers import INTENT_HANDLERS
from skill.alexa.interceptors import LogTurn, RecordMetrics, StartTimer
from skill.alexa.listener_state import LoadListenerState, SaveListenerState
from skill.alexa.metrics import LogSkillMetrics, SkillMetrics
from skill.alexa.serializer import SERIALIZER
from skill.json_depth import JsonTooDeep, check_depth
from skill.request_context import bound_request_id

logger = logging.getLogger(__name__)


def build_skill(
    listening: Listening,
    parser: RequestParser,
    *,
    metrics: SkillMetrics | None = None,
    resolver: ListenerResolver | None = None,
    erasure: Erasure | None = None,
) -> CustomSkill:
    """The Philomath skill on the ``listening`` use cases; ``metrics`` defaults to
    CloudWatch EMF log lines. No ask-sdk persistence adapter or API client: listener state
    is the device queues of ``listening.playback``.

    ``resolver`` turns Alexa's ids into the listener (``account``); without one (tests,
    tools) Alexa's user id is the listener. ``erasure`` (with a resolver) serves
    SkillDisabled; without, that event gets the unserved answer."""
    metrics = metrics if metrics is not None else LogSkillMetrics()
    actions = Actions(listening)
    builder = CustomSkillBuilder()
    interceptors: list[AbstractRequestInterceptor] = [StartTimer()]
    if resolver is not None:
        interceptors.append(ResolveListener(resolver))
    interceptors.append(LoadListenerState(listening.playback))
    for interceptor in interceptors:
        builder.add_global_request_interceptor(interceptor)
    for response_interceptor in (SaveListenerState(), LogTurn(), RecordMetrics(metrics)):
        builder.add_global_response_interceptor(response_interceptor)
    builder.add_request_handler(LaunchHandler())
    for intent_handler in INTENT_HANDLERS:
        builder.add_request_handler(intent_handler(parser, actions))
    for audio_handler in AUDIO_HANDLERS:
        builder.add_request_handler(audio_handler(listening))
    for handler in (
        PlaybackCommandHandler(actions),
        SessionEndedHandler(),
        SystemExceptionHandler(),
    ):
        builder.add_request_handler(handler)
    if resolver is not None and erasure is not None:
        builder.add_request_handler(SkillDisabledHandler(resolver, erasure))
    builder.add_request_handler(UnservedRequestHandler())  # last: it takes any request
    builder.add_exception_handler(LinkAccountHandler(metrics))
    builder.add_exception_handler(CatchAllExceptionHandler(metrics))
    skill: CustomSkill = builder.create()
    return skill


def handle_envelope(skill: CustomSkill, envelope: object) -> dict[str, Any]:
    """Dispatch one Alexa request envelope; the response envelope as a JSON-ready dict.

    Raises ``InvalidEnvelope`` when ``envelope`` is not a request envelope the SDK can read
    (not an object, nested deeper than ``MAX_JSON_DEPTH``, no ``request.type``, a request
    type the SDK's models do not know, no user id, or a NaN or infinite number anywhere: not
    JSON, yet Python's parsers accept ``-Infinity``, and an answer echoing it, session
    attributes say, could not be written back). A type the SDK knows but no handler serves
    gets ``UnservedRequestHandler``'s answer. Errors inside handlers never escape: the
    catch-all handler answers them.
    """
    _check_shape(envelope)
    try:
        request = SERIALIZER.from_object(envelope, RequestEnvelope)
    except (SerializationException, TypeError, ValueError) as exc:
        raise InvalidEnvelope(f"not a readable Alexa request envelope: {exc}") from exc
    request_id = getattr(request.request, "request_id", None)
    logger.debug(
        "alexa request",
        extra={"request_id": request_id, "request_type": request.request.object_type},
    )
    with bound_request_id(request_id):
        response = skill.invoke(request_envelope=request, context=None)
    serialized = SERIALIZER.serialize(response)
    if not isinstance(serialized, dict):
        raise TypeError("ask-sdk serialized a response envelope to a non-object")
    return serialized


def _check_shape(envelope: object) -> None:
    """The parts every handler relies on, checked before the SDK sees the envelope."""
    if not isinstance(envelope, dict):
        raise InvalidEnvelope("the request envelope must be a JSON object")
    try:  # before anything recurses into it (the serializer does, once per level)
        check_depth(envelope, finite=True)
    except JsonTooDeep as exc:
        raise EnvelopeTooDeep(f"the request envelope is {exc}") from None
    except ValueError as exc:
        raise InvalidEnvelope(f"not a readable Alexa request envelope: {exc}") from None
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
