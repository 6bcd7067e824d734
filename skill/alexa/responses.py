"""Response helpers: speech as safe SSML, AudioPlayer directives as ask-sdk models."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from ask_sdk_core.response_helper import ResponseFactory
from ask_sdk_model.directive import Directive

from listening.player import PlayAnswer
from playback.directives import PlayBehavior, play_directive, stop_directive
from skill.alexa.serializer import SERIALIZER


def speak(builder: ResponseFactory, text: str) -> ResponseFactory:
    """Say ``text``; titles such as "Rock & Roll" would otherwise break the SSML."""
    return builder.speak(escape(text))


def ask(builder: ResponseFactory, reprompt: str) -> ResponseFactory:
    """Keep the session open and reprompt with ``reprompt``."""
    return builder.ask(escape(reprompt))


def as_model(directive: dict[str, Any]) -> Directive:
    """A wire-format directive (playback.directives) as the ask-sdk model of its type."""
    model: Directive = SERIALIZER.from_object(directive, Directive)
    return model


def add_play(
    builder: ResponseFactory,
    answer: PlayAnswer,
    behavior: PlayBehavior = "REPLACE_ALL",
    expected_previous_token: str | None = None,
) -> ResponseFactory:
    """Add the AudioPlayer.Play directive that streams ``answer``'s track."""
    if answer.track is None or answer.stream_url is None or answer.token is None:
        raise ValueError("answer has no track to play")
    directive = play_directive(
        url=answer.stream_url,
        token=answer.token,
        title=answer.track.title,
        subtitle=answer.track.artist_name,
        offset_ms=answer.offset_ms,
        behavior=behavior,
        expected_previous_token=expected_previous_token,
    )
    return builder.add_directive(as_model(directive))


def add_stop(builder: ResponseFactory) -> ResponseFactory:
    return builder.add_directive(as_model(stop_directive()))
