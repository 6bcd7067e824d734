"""Reading what handlers need from an ask-sdk HandlerInput: who, which device, what plays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.intent_request import IntentRequest

from nlu.parsed import AlexaSlot
from playback.directives import track_id_of
from playback.events import EventKind, PlaybackEvent, Served

ER_SUCCESS = "ER_SUCCESS_MATCH"


@dataclass(frozen=True, slots=True)
class PlayerState:
    """The device's AudioPlayer state sent with the request (token of the current stream)."""

    token: str | None
    offset_ms: int


_LISTENER = "philomath.listener"


def set_listener(handler_input: HandlerInput, listener: str) -> None:
    """Record who the request speaks for (``account.ResolveListener`` does, first)."""
    handler_input.attributes_manager.request_attributes[_LISTENER] = listener


def user_id(handler_input: HandlerInput) -> str:
    """The listener the request speaks for: the one ``account.ResolveListener`` resolved;
    Alexa's user id in a skill built without a resolver (tests, tools)."""
    listener = handler_input.attributes_manager.request_attributes.get(_LISTENER)
    return listener if isinstance(listener, str) else alexa_user_id(handler_input)


def alexa_user_id(handler_input: HandlerInput) -> str:
    """The Alexa user id; ``handle_envelope`` has already refused envelopes without one."""
    envelope = handler_input.request_envelope
    system = envelope.context.system if envelope.context is not None else None
    if system is not None and system.user is not None and system.user.user_id:
        return str(system.user.user_id)
    if envelope.session is not None and envelope.session.user is not None:
        return str(envelope.session.user.user_id)
    raise ValueError("request has no user id")


def device_id(handler_input: HandlerInput) -> str | None:
    context = handler_input.request_envelope.context
    device = context.system.device if context is not None and context.system else None
    return str(device.device_id) if device is not None and device.device_id else None


def request_time(handler_input: HandlerInput) -> float | None:
    """When the listener asked: the envelope's ``request.timestamp`` (UTC), as unix seconds;
    None when it has none. The listener's part of the day is read from it, never from this
    server's clock."""
    stamp = getattr(handler_input.request_envelope.request, "timestamp", None)
    if stamp is None:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return float(stamp.timestamp())


def supports_audio(handler_input: HandlerInput) -> bool:
    """Whether the device declares the AudioPlayer interface (Play directives fail without)."""
    context = handler_input.request_envelope.context
    device = context.system.device if context is not None and context.system else None
    interfaces = device.supported_interfaces if device is not None else None
    return interfaces is not None and interfaces.audio_player is not None


def player_state(handler_input: HandlerInput) -> PlayerState:
    """The AudioPlayer token and offset the device reports (None token when idle)."""
    context = handler_input.request_envelope.context
    audio = context.audio_player if context is not None else None
    if audio is None:
        return PlayerState(None, 0)
    return PlayerState(audio.token or None, int(audio.offset_in_milliseconds or 0))


def event_position(handler_input: HandlerInput) -> PlayerState:
    """Token and offset of an AudioPlayer event request (PlaybackFailed nests them)."""
    request = handler_input.request_envelope.request
    state = getattr(request, "current_playback_state", None)
    token = getattr(request, "token", None) or getattr(state, "token", None)
    offset = getattr(request, "offset_in_milliseconds", None)
    if offset is None:
        offset = getattr(state, "offset_in_milliseconds", None)
    return PlayerState(token or None, max(0, int(offset or 0)))


def play_event(
    handler_input: HandlerInput, kind: EventKind, state: PlayerState, served: Served | None = None
) -> PlaybackEvent | None:
    """What this request's listener did on this device to the track ``state`` points at
    (``served``: what served it, from the device queue); None when the token is not ours."""
    track_id = track_id_of(state.token)
    if track_id is None:
        return None
    return PlaybackEvent(
        kind=kind,
        user_id=user_id(handler_input),
        track_id=track_id,
        device_id=device_id(handler_input),
        offset_ms=state.offset_ms,
        served=served,
    )


def intent_slots(handler_input: HandlerInput) -> tuple[str, dict[str, str | AlexaSlot | None]]:
    """(intent name, slots) of an IntentRequest, with entity resolution's canonical values."""
    request = handler_input.request_envelope.request
    if not isinstance(request, IntentRequest) or request.intent is None:
        raise ValueError("not an IntentRequest")
    slots: dict[str, str | AlexaSlot | None] = {}
    for name, slot in (request.intent.slots or {}).items():
        resolved = resolved_id = None
        authorities = slot.resolutions.resolutions_per_authority if slot.resolutions else None
        for authority in authorities or ():
            code = authority.status.code if authority.status is not None else None
            value = authority.values[0].value if authority.values else None
            if getattr(code, "value", code) == ER_SUCCESS and value is not None:
                resolved, resolved_id = value.name, value.id
                break
        slots[name] = AlexaSlot(text=slot.value, resolved=resolved, resolved_id=resolved_id)
    return str(request.intent.name), slots
