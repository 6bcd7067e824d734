"""Request and response interceptors: a log line per turn, and metrics.

Listener state has its own interceptors (``listener_state``). When a handler raises, the SDK
skips response interceptors; the catch-all exception handler then reports the failure
through ``observe_failure``.
"""

from __future__ import annotations

import logging
import time

from ask_sdk_core.dispatch_components.request_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.intent_request import IntentRequest
from ask_sdk_model.response import Response

from listening.player import user_ref
from skill.alexa import context
from skill.alexa.metrics import SkillMetrics

logger = logging.getLogger(__name__)

_STARTED = "philomath.started"
_NOTES = "philomath.turn_notes"


def note_on_turn(handler_input: HandlerInput, **fields: object) -> None:
    """Fields for this turn's log line (what the parser understood, say): one line per turn
    rather than one per step, which at millions of listeners halves the log volume and its
    share of a turn's CPU."""
    attributes = handler_input.attributes_manager.request_attributes
    attributes[_NOTES] = {**_notes(attributes), **fields}


def _notes(attributes: dict[str, object]) -> dict[str, object]:
    notes = attributes.get(_NOTES)
    return notes if isinstance(notes, dict) else {}


def request_type(handler_input: HandlerInput) -> str:
    return str(getattr(handler_input.request_envelope.request, "object_type", ""))


def intent_name(handler_input: HandlerInput) -> str | None:
    request = handler_input.request_envelope.request
    if isinstance(request, IntentRequest) and request.intent is not None:
        return str(request.intent.name)
    return None


class LogTurn(AbstractResponseInterceptor):
    """One line per turn: who asked (hashed listener and device, never raw ids), what (request
    type, Alexa's intent, and what handlers noted with ``note_on_turn``), and what the skill
    answered (directive types, whether it spoke, whether the session ends). A turn whose
    handler raised is logged by the catch-all handler instead."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        directives = [str(d.object_type) for d in (response.directives or [])] if response else []
        device = context.device_id(handler_input)
        notes = _notes(handler_input.attributes_manager.request_attributes)
        logger.info(
            "alexa turn",
            extra={
                "request_type": request_type(handler_input),
                "alexa_intent": intent_name(handler_input),
                **notes,
                "user": user_ref(context.user_id(handler_input)),
                "device": user_ref(device) if device else None,
                "directives": directives,
                "speech": bool(response is not None and response.output_speech is not None),
                "end_session": response.should_end_session if response is not None else None,
            },
        )


class StartTimer(AbstractRequestInterceptor):
    def process(self, handler_input: HandlerInput) -> None:
        handler_input.attributes_manager.request_attributes[_STARTED] = time.perf_counter()


class RecordMetrics(AbstractResponseInterceptor):
    def __init__(self, metrics: SkillMetrics) -> None:
        self._metrics = metrics

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        _observe(self._metrics, handler_input, failed=False)


def observe_failure(metrics: SkillMetrics, handler_input: HandlerInput) -> None:
    _observe(metrics, handler_input, failed=True)


def observe_answer(metrics: SkillMetrics, handler_input: HandlerInput) -> None:
    """A turn an exception handler answered as intended (not a failure)."""
    _observe(metrics, handler_input, failed=False)


def _observe(metrics: SkillMetrics, handler_input: HandlerInput, *, failed: bool) -> None:
    started = handler_input.attributes_manager.request_attributes.get(_STARTED)
    seconds = time.perf_counter() - started if isinstance(started, float) else 0.0
    metrics.observe(request_type(handler_input), intent_name(handler_input), seconds, failed=failed)
