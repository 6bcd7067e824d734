"""What front doors need from a request parser: ``nlu.rules.RuleParser`` and the richer
``nlu.parser.MusicParser`` both fit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from nlu.parsed import AlexaSlot, ParsedRequest


class RequestParser(Protocol):
    def parse(self, text: str, *, assume_play: bool = False) -> ParsedRequest:
        """Free text to a ParsedRequest; never raises."""

    def from_alexa_slots(
        self, intent_name: str, slots: Mapping[str, str | AlexaSlot | None]
    ) -> ParsedRequest:
        """An Alexa intent and its slots to a ParsedRequest; never raises."""

    def canonical_genre(self, text: str) -> str | None:
        """The catalog's spelling of a genre, or None."""
