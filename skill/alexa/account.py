"""Who the request speaks for, resolved once at the front door, and forgetting them.

``ResolveListener`` (the first request interceptor after the timer) reads Alexa's ids and
access token from the envelope, asks ``listening.identity.ListenerResolver`` for the
listener, and keeps it in the request attributes, where ``context.user_id`` reads it: every
handler and every PlaybackEvent use the resolved listener, never Alexa's ``userId``.

A refused access token raises ``AccountLinkInvalid`` out of the interceptor, so no handler
runs (no music, no event); ``LinkAccountHandler`` answers it: a short spoken request to link
again and Alexa's LinkAccount card, or nothing where the request type takes no speech.

``SkillDisabledHandler`` serves ``AlexaSkillEvent.SkillDisabled``: every listener the account
spoke as is forgotten (``listening.erasure``). The interceptor leaves skill events alone, so
a disabled account is never minted a listener.

The composition root gives the resolver the REST API's ``Authenticator`` as its token
verifier (``philomath.security.token_verifier``): one check of bearer tokens for both front
doors, hence one listener id for both.
"""

from __future__ import annotations

import logging

from ask_sdk_core.dispatch_components.exception_components import AbstractExceptionHandler
from ask_sdk_core.dispatch_components.request_components import (
    AbstractRequestHandler,
    AbstractRequestInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response
from ask_sdk_model.ui.link_account_card import LinkAccountCard

from listening.erasure import Erasure
from listening.identity import (
    AccountLinkInvalid,
    AlexaCaller,
    ListenerResolver,
)
from skill.alexa import context
from skill.alexa.interceptors import observe_answer, request_type
from skill.alexa.metrics import SkillMetrics
from skill.alexa.responses import speak

logger = logging.getLogger(__name__)

SKILL_EVENT_PREFIX = "AlexaSkillEvent."
SKILL_DISABLED = "AlexaSkillEvent.SkillDisabled"
LINK_SPEECH = (
    "Your Philomath account link has expired or is not valid. "
    "I've sent a card to the Alexa app: please link your account again there."
)
# Request types that allow no speech or card: the answer to them is empty.
_SILENT = ("AudioPlayer.", "PlaybackController.", "System.", "SessionEndedRequest")


def alexa_caller(handler_input: HandlerInput) -> AlexaCaller:
    """Alexa's ids of the caller; the person's own token wins over the account's."""
    envelope_context = handler_input.request_envelope.context
    system = envelope_context.system if envelope_context is not None else None
    person = system.person if system is not None else None
    user = system.user if system is not None else None
    token = (person.access_token if person is not None else None) or (
        user.access_token if user is not None else None
    )
    return AlexaCaller(
        user_id=context.alexa_user_id(handler_input),
        person_id=(person.person_id if person is not None else None) or None,
        access_token=token or None,
    )


class ResolveListener(AbstractRequestInterceptor):
    def __init__(self, resolver: ListenerResolver) -> None:
        self._resolver = resolver

    def process(self, handler_input: HandlerInput) -> None:
        if request_type(handler_input).startswith(SKILL_EVENT_PREFIX):
            return  # no listener for skill events: SkillDisabled must not mint one
        listener = self._resolver.resolve(alexa_caller(handler_input))
        context.set_listener(handler_input, listener.id)


class LinkAccountHandler(AbstractExceptionHandler):
    """A refused access token: ask to link again, with the LinkAccount card."""

    def __init__(self, metrics: SkillMetrics) -> None:
        self._metrics = metrics

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return isinstance(exception, AccountLinkInvalid)

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        kind = request_type(handler_input)
        logger.info("access token refused: %s", exception, extra={"request_type": kind})
        observe_answer(self._metrics, handler_input)
        builder = handler_input.response_builder
        if kind.startswith(_SILENT):
            return builder.response
        builder = speak(builder, LINK_SPEECH).set_card(LinkAccountCard())
        return builder.set_should_end_session(True).response


class SkillDisabledHandler(AbstractRequestHandler):
    """The account disabled the skill: forget every listener it spoke as. A store that
    fails raises ``ErasureFailed``, which the catch-all handler logs with the traceback;
    every step is idempotent, so ``DELETE /v1/users/me`` or a later event finishes it."""

    def __init__(self, resolver: ListenerResolver, erasure: Erasure) -> None:
        self._resolver = resolver
        self._erasure = erasure

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return request_type(handler_input) == SKILL_DISABLED

    def handle(self, handler_input: HandlerInput) -> Response:
        listeners = self._resolver.account_listeners(alexa_caller(handler_input))
        for listener in listeners:
            self._erasure.forget(listener)
        logger.info("skill disabled", extra={"listeners_forgotten": len(listeners)})
        return handler_input.response_builder.response
