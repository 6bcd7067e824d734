"""Bad input never raises: empty text, 10,000 characters, emoji, control characters, other
languages and noise come back as ``fallback`` with a reason, from the full parser (gazetteer,
fuzzy names and embeddings)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlu.parsed import AlexaSlot, ParsedRequest
from nlu.parser import MusicParser

# Characters that can never make a word (control, format, private use, separators, symbols
# and emoji) once Unicode normalisation is done.
_WORDLESS = st.characters(categories=["Cc", "Cf", "Co", "So", "Sm", "Sk", "Zs", "Zl"]).filter(
    lambda c: unicodedata.normalize("NFKC", c) == c
)
_NOISE_WORDS = st.sampled_from(
    ["asdf", "qwerty", "zxcv", "hjkl", "xyzzy", "blorp", "um", "uh", "hmm", "mmm", "..."]
)
_FOREIGN = st.sampled_from(
    [
        "これは何ですか",
        "Как дела сегодня",
        "今天天气怎么样",
        "ما هو الوقت الآن",
        "Wie spät ist es",
        "Quelle heure est-il",
        "¿Qué hora es?",
        "Jak się masz",
        "Hvad er klokken",
    ]
)
_SETTINGS = settings(max_examples=60, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def _is_fallback_with_reason(parsed: ParsedRequest) -> bool:
    return parsed.intent == "fallback" and bool(parsed.reason) and parsed.confidence == 0.0


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\t", "x" * 10_000, "play " + "la " * 3_000, "🎵🎶🔥😀", "\x00\x07\x1b[31m\x7f",
     "\u200b\u202e\ufeff", "Как дела сегодня", "今天天气怎么样", "asdf qwerty zxcv", "...!!!???",
     "blah blah blah", "hmm"],
)  # fmt: skip
def test_bad_input_is_a_fallback_with_a_reason(music_parser: MusicParser, text: str) -> None:
    assert _is_fallback_with_reason(music_parser.parse(text))


@_SETTINGS
@given(st.text(max_size=600))
def test_any_text_parses_without_raising(music_parser: MusicParser, text: str) -> None:
    parsed = music_parser.parse(text)
    assert 0.0 <= parsed.confidence <= 1.0
    if parsed.intent == "fallback":
        assert parsed.reason
    for alternative in parsed.alternatives:
        assert alternative.confidence <= max(parsed.confidence, 1.0)


@_SETTINGS
@given(st.text(alphabet=_WORDLESS, max_size=12_000))
def test_text_without_words_is_a_fallback(music_parser: MusicParser, text: str) -> None:
    assert _is_fallback_with_reason(music_parser.parse(text))


@_SETTINGS
@given(st.lists(st.one_of(_NOISE_WORDS, _FOREIGN, st.text(alphabet=_WORDLESS, max_size=3)),
                min_size=1, max_size=6))  # fmt: skip
def test_noise_and_other_languages_are_a_fallback(
    music_parser: MusicParser, parts: list[str]
) -> None:
    assert _is_fallback_with_reason(music_parser.parse(" ".join(parts)))


@_SETTINGS
@given(st.text(min_size=10_001, max_size=11_000))
def test_ten_thousand_characters_are_too_long(music_parser: MusicParser, text: str) -> None:
    parsed = music_parser.parse(text)
    assert parsed.reason == "too_long"


_SLOT_NAMES = st.sampled_from(
    ["Artist", "Track", "Album", "Mood", "Genre", "Era", "Activity", "Sort", "Playlist", "Query"]
)
_ALEXA_SLOT = st.builds(AlexaSlot, st.text(max_size=50), st.one_of(st.none(), st.text(max_size=50)))


@_SETTINGS
@given(st.dictionaries(_SLOT_NAMES, st.one_of(st.none(), st.text(max_size=300), _ALEXA_SLOT)))
def test_alexa_slots_never_raise(
    music_parser: MusicParser, slots: dict[str, str | AlexaSlot | None]
) -> None:
    for intent in ("PlayMusicIntent", "PlayRequestIntent", "SomethingElseIntent"):
        assert isinstance(music_parser.from_alexa_slots(intent, slots), ParsedRequest)
