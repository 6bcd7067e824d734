"""ask-sdk-core handlers for launch, session end, Alexa's error reports, request types the
skill does not serve, and the catch-all exception handler. Intent handlers are in
``intent_handlers``, AudioPlayer and PlaybackController ones in ``audio_handlers``."""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components.exception_components import AbstractExceptionHandler
from ask_sdk_core.dispatch_components.request_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from skill.alexa.actions import ERROR_SPEECH, REPROMPT_SPEECH, WELCOME_SPEECH
from skill.alexa.interceptors import observe_failure, request_type
from skill.alexa.metrics import SkillMetrics
from skill.alexa.responses import ask, speak

logger = logging.getLogger(__name__)

# Requests whose responses must not carry speech.
SILENT_PREFIXES = ("AudioPlayer.", "PlaybackController.", "System.", "SessionEndedRequest")
# Request types the skill does not serve that a listener makes on a screen, in a session:
# they get a short spoken answer. Any other unserved type (skill, list, reminder or message
# events, CanFulfillIntentRequest...) is an event that takes no speech: an empty answer.
SPOKEN_UNSERVED = ("Display.ElementSelected", "Alexa.Presentation.APL.UserEvent")
UNSERVED_SPEECH = f"Sorry, I can't do that here. {REPROMPT_SPEECH}"


class LaunchHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input) == "LaunchRequest"

    def handle(self, handler_input: HandlerInput) -> Response:
        builder = speak(handler_input.response_builder, WELCOME_SPEECH)
        return ask(builder, REPROMPT_SPEECH).response


class SessionEndedHandler(AbstractRequestHandler):
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input) == "SessionEndedRequest"

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
        return request_type(handler_input) == "System.ExceptionEncountered"

    def handle(self, handler_input: HandlerInput) -> Response:
        error = getattr(handler_input.request_envelope.request, "error", None)
        logger.error(
            "Alexa reported a failed directive", extra={"error": getattr(error, "message", None)}
        )
        return handler_input.response_builder.response


class UnservedRequestHandler(AbstractRequestHandler):
    """The last request handler: any request type no other handler serves (touch events
    on a screen, skill events...). A warning names it; the answer is short and polite, or
    empty where the type takes no speech (``SPOKEN_UNSERVED``). Not an error: Alexa sends
    such requests to every skill, and nothing failed."""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return True

    def handle(self, handler_input: HandlerInput) -> Response:
        kind = request_type(handler_input)
        logger.warning("unserved request type %s", kind, extra={"request_type": kind})
        builder = handler_input.response_builder
        if kind not in SPOKEN_UNSERVED:
            return builder.response
        return ask(speak(builder, UNSERVED_SPEECH), REPROMPT_SPEECH).response


class CatchAllExceptionHandler(AbstractExceptionHandler):
    """The outermost handler: log with the traceback, count the failure, answer politely
    (silently where Alexa forbids speech)."""

    def __init__(self, metrics: SkillMetrics) -> None:
        self._metrics = metrics

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        kind = request_type(handler_input)
        logger.error(
            "unhandled error in the skill", exc_info=exception, extra={"request_type": kind}
        )
        observe_failure(self._metrics, handler_input)
        builder = handler_input.response_builder
        if kind.startswith(SILENT_PREFIXES):
            return builder.response
        return speak(builder, ERROR_SPEECH).set_should_end_session(True).response
