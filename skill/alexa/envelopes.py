"""Realistic Alexa request envelopes, for the CLI and for tests.

Shapes follow Alexa's request JSON reference: ``version``, a ``session`` for voice requests,
``context.System`` (application, user, device with its supported interfaces) and
``context.AudioPlayer``, and a ``request`` with ``requestId``, ``timestamp`` and ``locale``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from nlu.request_parser import RequestParser
from nlu.rules import ALEXA_INTENTS

APPLICATION_ID = "amzn1.ask.skill.philomath-local"
DEFAULT_DEVICE_ID = "amzn1.ask.device.philomath-cli"
LOCALE = "en-US"


def launch_request(
    user_id: str, device_id: str = DEFAULT_DEVICE_ID, *, supports_audio: bool = True
) -> dict[str, Any]:
    """ "Alexa, open philomath"."""
    return _envelope({"type": "LaunchRequest"}, user_id, device_id, supports_audio, session=True)


def intent_request(
    intent_name: str,
    slots: Mapping[str, str],
    user_id: str,
    device_id: str = DEFAULT_DEVICE_ID,
    supports_audio: bool = True,
    *,
    player_token: str | None = None,
    player_offset_ms: int = 0,
) -> dict[str, Any]:
    """An IntentRequest with filled slots; ``player_token`` is what the device is playing."""
    intent = {
        "name": intent_name,
        "confirmationStatus": "NONE",
        "slots": {
            name: {"name": name, "value": value, "confirmationStatus": "NONE", "source": "USER"}
            for name, value in slots.items()
        },
    }
    request = {"type": "IntentRequest", "dialogState": "COMPLETED", "intent": intent}
    return _envelope(
        request,
        user_id,
        device_id,
        supports_audio,
        session=True,
        player_token=player_token,
        player_offset_ms=player_offset_ms,
    )


def search_request(
    text: str, user_id: str, device_id: str = DEFAULT_DEVICE_ID, supports_audio: bool = True
) -> dict[str, Any]:
    """Free text as Alexa delivers it: PlayRequestIntent with an AMAZON.SearchQuery slot."""
    return intent_request("PlayRequestIntent", {"Query": text}, user_id, device_id, supports_audio)


def audio_player_request(
    event: str, token: str, offset_ms: int, user_id: str, device_id: str = DEFAULT_DEVICE_ID
) -> dict[str, Any]:
    """An AudioPlayer progress report such as ``PlaybackStarted`` (no session)."""
    request = {"type": f"AudioPlayer.{event}", "token": token, "offsetInMilliseconds": offset_ms}
    return _envelope(
        request,
        user_id,
        device_id,
        True,
        session=False,
        player_token=token,
        player_offset_ms=offset_ms,
    )


def playback_controller_request(
    command: str,
    user_id: str,
    device_id: str = DEFAULT_DEVICE_ID,
    *,
    player_token: str | None = None,
    player_offset_ms: int = 0,
) -> dict[str, Any]:
    """A hardware or on-screen button: ``command`` is Play, Pause, Next or Previous."""
    request = {"type": f"PlaybackController.{command}CommandIssued"}
    return _envelope(
        request,
        user_id,
        device_id,
        True,
        session=False,
        player_token=player_token,
        player_offset_ms=player_offset_ms,
    )


def with_player(
    envelope: dict[str, Any], token: str | None, offset_ms: int, activity: str
) -> dict[str, Any]:
    """``envelope`` with the device reporting ``token`` at ``offset_ms`` (``activity`` is
    Alexa's playerActivity: PLAYING, PAUSED, STOPPED, FINISHED, IDLE)."""
    context = envelope["context"]
    if "AudioPlayer" not in context["System"]["device"]["supportedInterfaces"]:
        return envelope
    state: dict[str, Any] = {"playerActivity": activity}
    if token is not None:
        state |= {"token": token, "offsetInMilliseconds": offset_ms}
    context["AudioPlayer"] = state
    return envelope


def session_ended_request(
    user_id: str, device_id: str = DEFAULT_DEVICE_ID, reason: str = "USER_INITIATED"
) -> dict[str, Any]:
    return _envelope(
        {"type": "SessionEndedRequest", "reason": reason}, user_id, device_id, True, session=True
    )


def _envelope(
    request: dict[str, Any],
    user_id: str,
    device_id: str,
    supports_audio: bool,
    *,
    session: bool,
    player_token: str | None = None,
    player_offset_ms: int = 0,
) -> dict[str, Any]:
    application = {"applicationId": APPLICATION_ID}
    user = {"userId": user_id}
    interfaces: dict[str, Any] = {"AudioPlayer": {}} if supports_audio else {}
    audio_player: dict[str, Any] = {"playerActivity": "IDLE"}
    if player_token is not None:
        audio_player = {
            "playerActivity": "PLAYING",
            "token": player_token,
            "offsetInMilliseconds": player_offset_ms,
        }
    envelope: dict[str, Any] = {
        "version": "1.0",
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": device_id, "supportedInterfaces": interfaces},
                "apiEndpoint": "https://api.amazonalexa.com",
            },
        },
        "request": {
            **request,
            "requestId": f"amzn1.echo-api.request.{uuid.uuid4()}",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "locale": LOCALE,
        },
    }
    if supports_audio:
        envelope["context"]["AudioPlayer"] = audio_player
    if session:
        envelope["session"] = {
            "new": True,
            "sessionId": f"amzn1.echo-api.session.{uuid.uuid4()}",
            "application": application,
            "attributes": {},
            "user": user,
        }
    return envelope


def linked(envelope: dict[str, Any], access_token: str) -> dict[str, Any]:
    """``envelope`` from an account linked to Philomath: Alexa sends the account's access
    token with every request (``context.System.user.accessToken``, and the session's)."""
    envelope["context"]["System"]["user"] = {
        **envelope["context"]["System"]["user"],
        "accessToken": access_token,
    }
    if "session" in envelope:
        envelope["session"]["user"] = {**envelope["session"]["user"], "accessToken": access_token}
    return envelope


def utterance_request(
    text: str,
    parser: RequestParser,
    user_id: str,
    device_id: str = DEFAULT_DEVICE_ID,
    supports_audio: bool = True,
) -> dict[str, Any]:
    """The envelope Alexa would send for a whole utterance, as its interaction model routes
    it: music requests arrive as PlayRequestIntent, controls as their built-in intents, and
    anything else as AMAZON.FallbackIntent."""
    intent = parser.parse(text).intent
    if intent == "play_music":
        return search_request(text, user_id, device_id, supports_audio)
    return intent_request(
        _ALEXA_INTENT_OF.get(intent, "AMAZON.FallbackIntent"),
        {},
        user_id,
        device_id,
        supports_audio,
    )


# The first Alexa intent listed for each parsed intent ("stop" has Stop, Cancel, NavigateHome).
_ALEXA_INTENT_OF: dict[str, str] = {}
for _alexa_name, _parsed_name in ALEXA_INTENTS.items():
    _ALEXA_INTENT_OF.setdefault(_parsed_name, _alexa_name)
