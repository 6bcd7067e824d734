"""The rule parser: the phrasings listeners use, Alexa slot mapping, and never raising."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.lexicon import particle_first
from nlu.parsed import AlexaSlot, ParsedRequest
from nlu.rules import MAX_TEXT_CHARS, RuleParser, clean_words, phrase_key
from playback.vocabulary import MOOD_SYNONYMS

# The data generator's spellings: the parser must map listeners' words onto these.
CATALOG_GENRES = ["pop", "hip-hop", "rock", "r&b", "jazz", "classical", "dance", "k-pop", "lo-fi"]
PARSER = RuleParser(CATALOG_GENRES)


def slots(parsed: ParsedRequest) -> dict[str, str]:
    return {name: slot.value for name, slot in parsed.slots.items()}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("pause", "pause"),
        ("Pause the music.", "pause"),
        ("Alexa, next song", "next"),
        ("skip", "next"),
        ("skip this song please", "next"),
        ("stop", "stop"),
        ("resume", "resume"),
        ("continue playing", "resume"),
        ("go back", "previous"),
        ("shuffle", "shuffle_on"),
        ("stop shuffling", "shuffle_off"),
        ("loop this song", "loop_on"),
        ("turn off loop", "loop_off"),
        ("play it again", "repeat"),
        ("start over", "start_over"),
        ("I like this song", "like"),
        ("thumbs down", "dislike"),
        ("what's playing?", "whats_playing"),
        ("What’s playing", "whats_playing"),  # typographic apostrophe
        ("help", "help"),
    ],
)
def test_control_phrases(text: str, intent: str) -> None:
    parsed = PARSER.parse(text)
    assert parsed.intent == intent
    assert parsed.slots == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("play something relaxing", {"mood": "relaxing"}),
        ("Alexa, play something relaxing", {"mood": "relaxing"}),
        ("chill music", {"mood": "relaxing"}),
        ("songs to study", {"mood": "focus", "activity": "study"}),
        ("put on some upbeat tunes", {"mood": "energetic"}),
        ("play sad songs", {"mood": "sad"}),
        ("something for date night", {"mood": "romantic"}),
        ("play jazz", {"genre": "jazz"}),
        ("play hip-hop", {"genre": "hip-hop"}),
        ("play hiphop", {"genre": "hip-hop"}),
        ("play some hip hop", {"genre": "hip-hop"}),
        ("play rap", {"genre": "hip-hop"}),
        ("play R&B", {"genre": "r&b"}),
        ("play rhythm and blues", {"genre": "r&b"}),
        ("play kpop", {"genre": "k-pop"}),
        ("play lofi beats", {"genre": "lo-fi"}),
        ("play the top hits", {"sort": "popular"}),
        ("play what's trending", {"sort": "trending"}),
        ("play the newest songs", {"sort": "new"}),
        ("play popular jazz", {"sort": "popular", "genre": "jazz"}),
        ("play 80s rock", {"era": "1980s", "genre": "rock"}),
        ("play music from the nineties", {"era": "1990s"}),
        ("songs by Radiohead", {"artist": "radiohead"}),
        ("play something by Norah Jones", {"artist": "norah jones"}),
        ("play relaxing songs by Norah Jones", {"mood": "relaxing", "artist": "norah jones"}),
        ("play Radiohead", {"artist": "radiohead"}),
        ("play some radiohead songs", {"artist": "radiohead"}),
        ("play the beatles", {"artist": "the beatles"}),
        ("Taylor Swift radio", {"artist": "taylor swift", "item_type": "radio"}),
        ("jazz radio", {"genre": "jazz", "item_type": "radio"}),
        ("songs like Radiohead", {"artist": "radiohead", "item_type": "radio"}),
        ("play the song yellow", {"track": "yellow", "item_type": "song"}),
        ("play adele's latest album", {"artist": "adele", "sort": "new", "item_type": "album"}),
        ("music for sleeping", {"activity": "sleep", "mood": "relaxing"}),
        ("play songs from 1999", {"era": "1999"}),
        ("play bohemian rhapsody by queen", {"track": "bohemian rhapsody", "artist": "queen"}),
        ("play stand by me", {"artist": "stand by me"}),
        (
            "play the album abbey road by the beatles",
            {"album": "abbey road", "item_type": "album", "artist": "the beatles"},
        ),
        ("play my workout playlist", {"playlist": "workout", "item_type": "playlist"}),
        ("can you play some jazz please", {"genre": "jazz"}),
        ("play music", {}),
        ("play", {}),
    ],
)
def test_play_requests(text: str, expected: dict[str, str]) -> None:
    parsed = PARSER.parse(text)
    assert parsed.intent == "play_music", parsed
    assert slots(parsed) == expected
    assert 0.5 <= parsed.confidence <= 1.0


def test_bare_name_is_an_artist_with_a_track_alternative() -> None:
    parsed = PARSER.parse("play yellow")
    assert slots(parsed) == {"artist": "yellow"}
    (alternative,) = parsed.alternatives
    assert alternative.slot_value("track") == "yellow"
    assert alternative.confidence < parsed.confidence


def test_a_catalog_genre_wins_over_a_mood_word_and_exact_catalog_names_win_over_synonyms() -> None:
    assert slots(PARSER.parse("play dance music")) == {"genre": "dance"}
    both = RuleParser(["hip-hop", "rap"])
    assert slots(both.parse("play rap")) == {"genre": "rap"}
    assert slots(both.parse("play hiphop")) == {"genre": "hip-hop"}


def test_genres_outside_the_catalog_are_not_genres() -> None:
    no_jazz = RuleParser(["pop"])
    assert slots(no_jazz.parse("play jazz")) == {"artist": "jazz"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("🎵🎶🔥", "empty"),
        ("\x00\x07\x1b\x7f\u200b\u202e", "empty"),
        ("\x1b[31m", "no_match"),
        ("please", "empty"),
        ("asdfgh qwerty", "no_match"),
        ("the", "no_match"),
        ("play " + "a" * MAX_TEXT_CHARS, "too_long"),
        ("x" * 10_000, "too_long"),
    ],
)
def test_meaningless_text_falls_back_with_a_reason(text: str, reason: str) -> None:
    parsed = PARSER.parse(text)
    assert parsed.intent == "fallback"
    assert parsed.reason == reason
    assert parsed.confidence == 0.0


def test_bare_name_after_a_carrier_phrase_is_an_artist() -> None:
    assert PARSER.parse("radiohead").intent == "fallback"
    assert slots(PARSER.parse("radiohead", assume_play=True)) == {"artist": "radiohead"}


def test_emoji_and_control_characters_inside_a_request_are_ignored() -> None:
    assert slots(PARSER.parse("play 🎵 something\x00 relaxing 😌")) == {"mood": "relaxing"}


def test_clean_words_keeps_inner_punctuation_and_reads_ampersand_as_and() -> None:
    assert clean_words("Play P!nk, AC/DC & “Will.i.am”!") == [
        "play", "p!nk", "ac/dc", "and", "will.i.am",
    ]  # fmt: skip
    assert phrase_key("Hip-Hop") == phrase_key("hip hop") == "hip hop"
    assert phrase_key("R&B") == "r and b"


# --- Alexa slots ---------------------------------------------------------------------------


def test_play_music_slots_map_to_canonical_values() -> None:
    parsed = PARSER.from_alexa_slots(
        "PlayMusicIntent", {"Mood": "chill", "Genre": "hip hop", "Artist": "Norah Jones"}
    )
    assert parsed.intent == "play_music"
    assert slots(parsed) == {"mood": "relaxing", "genre": "hip-hop", "artist": "norah jones"}
    assert parsed.slots["mood"].text == "chill"


def test_entity_resolution_wins_over_the_spoken_value() -> None:
    parsed = PARSER.from_alexa_slots(
        "PlayMusicIntent",
        {"Mood": AlexaSlot("chilled out", resolved="relaxing", resolved_id="relaxing"),
         "Genre": AlexaSlot("rhythm blues", resolved="r and b", resolved_id="r_and_b"),
         "Artist": None},
    )  # fmt: skip
    assert slots(parsed) == {"mood": "relaxing", "genre": "r&b"}
    assert parsed.slots["mood"].id == "relaxing"
    assert parsed.slots["mood"].text == "chilled out"


@pytest.mark.parametrize(("word", "mood"), sorted(MOOD_SYNONYMS.items()))
def test_every_mood_synonym_maps_through_the_mood_slot(word: str, mood: str) -> None:
    parsed = PARSER.from_alexa_slots("PlayMusicIntent", {"Mood": word})
    assert parsed.slot_value("mood") == mood


def test_unknown_mood_is_dropped_and_empty_slots_mean_play_anything() -> None:
    parsed = PARSER.from_alexa_slots("PlayMusicIntent", {"Mood": "purple", "Artist": " 🎵 "})
    assert parsed.intent == "play_music"
    assert parsed.slots == {}


def test_search_query_goes_through_the_free_text_parser() -> None:
    parsed = PARSER.from_alexa_slots("PlayRequestIntent", {"Query": "something relaxing"})
    assert slots(parsed) == {"mood": "relaxing"}
    assert slots(PARSER.from_alexa_slots("PlayRequestIntent", {"Query": "radiohead"})) == {
        "artist": "radiohead"
    }
    assert PARSER.from_alexa_slots("PlayRequestIntent", {"Query": "next song"}).intent == "next"


@pytest.mark.parametrize(
    ("name", "intent"),
    [
        ("AMAZON.PauseIntent", "pause"),
        ("AMAZON.StopIntent", "stop"),
        ("AMAZON.CancelIntent", "stop"),
        ("AMAZON.ResumeIntent", "resume"),
        ("AMAZON.NextIntent", "next"),
        ("AMAZON.PreviousIntent", "previous"),
        ("AMAZON.ShuffleOnIntent", "shuffle_on"),
        ("AMAZON.LoopOffIntent", "loop_off"),
        ("AMAZON.RepeatIntent", "repeat"),
        ("AMAZON.StartOverIntent", "start_over"),
        ("AMAZON.HelpIntent", "help"),
        ("LikeIntent", "like"),
        ("WhatsPlayingIntent", "whats_playing"),
    ],
)
def test_alexa_intents(name: str, intent: str) -> None:
    assert PARSER.from_alexa_slots(name, {}).intent == intent


def test_fallback_and_unknown_intents_say_why() -> None:
    assert PARSER.from_alexa_slots("AMAZON.FallbackIntent", {}).reason == "alexa_fallback"
    unknown = PARSER.from_alexa_slots("OrderPizzaIntent", {"Topping": "olives"})
    assert unknown.intent == "fallback"
    assert unknown.reason == "unknown_intent:OrderPizzaIntent"


# --- never raises ----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=MAX_TEXT_CHARS + 50))
def test_any_text_parses_without_raising(text: str) -> None:
    parsed = PARSER.parse(text)
    assert isinstance(parsed, ParsedRequest)
    assert 0.0 <= parsed.confidence <= 1.0
    if parsed.intent == "fallback":
        assert parsed.reason


# Control, format, private-use, separator and symbol characters (emoji) that Unicode
# normalisation leaves alone: no words can hide in them.
_WORDLESS = st.characters(categories=["Cc", "Cf", "Co", "So", "Sm", "Sk", "Zs", "Zl"]).filter(
    lambda c: unicodedata.normalize("NFKC", c) == c
)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_WORDLESS, max_size=12_000))
def test_text_without_words_is_a_fallback(text: str) -> None:
    parsed = PARSER.parse(text)
    assert parsed.intent == "fallback"
    assert parsed.reason in ("empty", "too_long")


def test_slot_text_is_capped() -> None:
    parsed = PARSER.from_alexa_slots("PlayMusicIntent", {"Artist": "a" * 20_000})
    assert len(parsed.slots["artist"].value) == MAX_TEXT_CHARS


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.booleans())
def test_search_queries_never_raise(text: str, resolved: bool) -> None:
    slot = AlexaSlot(text, resolved=text if resolved else None)
    for intent in ("PlayRequestIntent", "PlayMusicIntent"):
        key = "Query" if intent == "PlayRequestIntent" else "Artist"
        assert isinstance(PARSER.from_alexa_slots(intent, {key: slot}), ParsedRequest)


# --- settings, preambles, activities ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("turn off shuffling", "shuffle_off"),
        ("enable shuffle mode", "shuffle_on"),
        ("can you shuffle everything", "shuffle_on"),
        ("keep looping this", "loop_on"),
        ("stop the looping please", "loop_off"),
        ("hold on a second", "pause"),
        ("skip to the next track", "next"),
    ],
)
def test_settings_and_controls_with_extra_words(text: str, intent: str) -> None:
    assert PARSER.parse(text).intent == intent


def test_a_setting_word_inside_a_play_request_is_not_a_control() -> None:
    assert PARSER.parse("play shuffle by the beatles").intent == "play_music"


def test_a_play_verb_after_a_preamble() -> None:
    parsed = PARSER.parse("I'm so sad, play something")
    assert parsed.intent == "play_music"
    assert slots(parsed) == {"mood": "sad"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("play party music for driving", {"mood": "party", "activity": "driving"}),
        ("music for my morning run", {"activity": "running", "mood": "energetic"}),
        ("play calm music for sleeping", {"mood": "relaxing", "activity": "sleep"}),
        ("play cooking music", {"activity": "cooking"}),
    ],
)
def test_activities_and_the_moods_they_imply(text: str, expected: dict[str, str]) -> None:
    assert slots(PARSER.parse(text)) == expected


def test_descriptions_are_not_names() -> None:
    parsed = PARSER.parse("play music for a rainy sunday")
    assert parsed.intent == "play_music"
    assert "artist" not in parsed.slots
    assert parsed.confidence <= 0.5  # the rules alone cannot tell which mood


@pytest.mark.parametrize("text", ["turn on the lights", "play a game", "play the news"])
def test_things_that_are_not_music(text: str) -> None:
    parsed = PARSER.parse(text)
    assert (parsed.intent, parsed.reason) == ("fallback", "not_music")


@pytest.mark.parametrize(
    ("text", "reason"),
    [("play a podcast", "podcast"), ("continue my audiobook", "audiobook"),
     ("turn the volume down", "volume"), ("play episode 4 of serial", "podcast")],
)  # fmt: skip
def test_podcasts_audiobooks_and_volume_are_out_of_scope_with_a_reason(
    text: str, reason: str
) -> None:
    parsed = PARSER.parse(text)
    assert (parsed.intent, parsed.reason) == ("out_of_scope", reason)


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("put taylor swift on", "put on taylor swift"),
        ("alexa could you put some jazz on please", "alexa could you put on some jazz please"),
        ("put the radio on", "put on the radio"),
        ("put paula abdul on my workout playlist", "put paula abdul on my workout playlist"),
        ("play put your records on", "play put your records on"),  # a title: "put" is inside
        ("put it on", "put it on"),
        ("put on", "put on"),
    ],
)
def test_an_on_said_last_is_read_with_its_verb(said: str, read: str) -> None:
    assert " ".join(particle_first(said.split())) == read


def test_put_something_on_is_a_play_request() -> None:
    parsed = PARSER.parse("put some jazz on please")
    assert parsed.intent == "play_music" and slots(parsed) == {"genre": "jazz"}
