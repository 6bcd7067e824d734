"""The listener's queue on the requesting device, opened and committed around each request.

``LoadListenerState`` (a request interceptor) attaches the request's
``listening.device_queue.ListenerState``; it reads the store only when a handler first asks for
the queue. ``SaveListenerState`` (a response interceptor) commits a changed queue, the latest
word winning. A handler that must not act twice for one event (PlaybackNearlyFinished)
commits itself first and answers only if it won.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components.request_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from listening.device_queue import DevicePlayback, ListenerState
from skill.alexa import context

_ATTRIBUTE = "philomath.listener_state"


def listener_state(handler_input: HandlerInput) -> ListenerState:
    state = handler_input.attributes_manager.request_attributes.get(_ATTRIBUTE)
    if not isinstance(state, ListenerState):
        raise RuntimeError("LoadListenerState is not installed")
    return state


class LoadListenerState(AbstractRequestInterceptor):
    def __init__(self, playback: DevicePlayback) -> None:
        self._playback = playback

    def process(self, handler_input: HandlerInput) -> None:
        state = self._playback.state(
            context.user_id(handler_input), context.device_id(handler_input)
        )
        handler_input.attributes_manager.request_attributes[_ATTRIBUTE] = state


class SaveListenerState(AbstractResponseInterceptor):
    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        listener_state(handler_input).commit(force=True)
