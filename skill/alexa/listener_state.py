"""The listener's queue on the requesting device, loaded and saved around each request.

``LoadListenerState`` (a request interceptor) attaches a ``ListenerState`` to the request;
it reads the store only when a handler first asks for the queue, so requests that never
touch it (launch, help) cost no I/O. ``SaveListenerState`` (a response interceptor) writes a
changed queue back. Saves are version-checked: a handler that must not act twice for one
event (PlaybackNearlyFinished) commits itself first and answers only if it won.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from ask_sdk_core.dispatch_components.request_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.response import Response

from playback.errors import QueueUnavailable
from playback.queue import DeviceQueue, QueueStore, queue_key
from skill.alexa import context

logger = logging.getLogger(__name__)

_ATTRIBUTE = "philomath.listener_state"


class ListenerState:
    """One request's view of a device queue: loaded on first use, saved at most once per
    change. A store outage reads as no queue and skips the save (logged): playback goes on
    without a queue rather than failing."""

    def __init__(self, store: QueueStore, key: str) -> None:
        self._store = store
        self.key = key
        self._queue: DeviceQueue | None = None
        self._loaded = False
        self._changed = False
        self.unavailable = False

    @property
    def queue(self) -> DeviceQueue | None:
        if not self._loaded:
            self._loaded = True
            try:
                self._queue = self._store.load(self.key)
            except QueueUnavailable:
                logger.warning("queue store unavailable; going on without a queue", exc_info=True)
                self.unavailable = True
        return self._queue

    def update(self, queue: DeviceQueue | None) -> None:
        """Replace the queue (None leaves it as it is)."""
        if queue is not None and queue != self.queue:
            self._queue = queue
            self._changed = True

    def commit(self, *, force: bool = False) -> bool:
        """Save a changed queue. False when nothing could be saved: the store is down, or
        another request saved this queue first (then ``force`` saves over it, for explicit
        commands where the latest word wins)."""
        if not self._changed or self._queue is None:
            return True
        self._changed = False
        if self.unavailable:
            return False
        try:
            saved = self._store.save(self._queue)
            if saved is None and force:
                latest = self._store.load(self.key)
                version = latest.version if latest is not None else 0
                saved = self._store.save(replace(self._queue, version=version))
        except QueueUnavailable:
            logger.error("queue store unavailable; the queue change is lost", exc_info=True)
            return False
        if saved is None:
            logger.info("another request changed this device's queue first")
            return False
        self._queue = saved
        return True


def listener_state(handler_input: HandlerInput) -> ListenerState:
    state = handler_input.attributes_manager.request_attributes.get(_ATTRIBUTE)
    if not isinstance(state, ListenerState):
        raise RuntimeError("LoadListenerState is not installed")
    return state


class LoadListenerState(AbstractRequestInterceptor):
    def __init__(self, store: QueueStore) -> None:
        self._store = store

    def process(self, handler_input: HandlerInput) -> None:
        key = queue_key(context.user_id(handler_input), context.device_id(handler_input))
        handler_input.attributes_manager.request_attributes[_ATTRIBUTE] = ListenerState(
            self._store, key
        )


class SaveListenerState(AbstractResponseInterceptor):
    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        listener_state(handler_input).commit(force=True)
