"""The trained parser's combination of rules and model, with a scripted model: controls stay
with the rules, out-of-scope and other intents come from the model, names are the model's
spans grounded in the catalog, service words stay out of names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

import pytest

from nlu.embeddings import EmbeddingsUnavailable, PrototypeClassifier, Scores
from nlu.gazetteer import load_gazetteer
from nlu.joint_model import JointModelUnavailable, Prediction
from nlu.text import clean_words
from nlu.trained_parser import TrainedParser


class ScriptedTagger:
    """Answers each request with the intent and tags given for its words ("O" elsewhere)."""

    def __init__(self, intent: str = "play_music", probability: float = 0.95,
                 spans: dict[str, str] | None = None, broken: bool = False) -> None:  # fmt: skip
        self.intent, self.probability, self.spans, self.broken = intent, probability, spans, broken
        self.calls: list[tuple[str, ...]] = []

    def warm(self) -> None:
        if self.broken:
            raise JointModelUnavailable("no model here")

    def predict(self, words: Sequence[str]) -> Prediction:
        if self.broken:
            raise JointModelUnavailable("no model here")
        self.calls.append(tuple(words))
        tags = ["O"] * len(words)
        for kind, said in (self.spans or {}).items():
            said_words = said.split()
            for i in range(len(words) - len(said_words) + 1):
                if list(words[i : i + len(said_words)]) == said_words:
                    tags[i] = f"B-{kind}"
                    for j in range(i + 1, i + len(said_words)):
                        tags[j] = f"I-{kind}"
                    break
        return Prediction(self.intent, self.probability, ("play_music", 0.01), tuple(tags))


def parser(gazetteer_dir: Path, tagger: ScriptedTagger) -> TrainedParser:
    return TrainedParser(load_gazetteer(gazetteer_dir), None, tagger)


def test_a_control_phrase_never_reaches_the_model(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(intent="out_of_scope:volume")
    parsed = parser(gazetteer_dir, tagger).parse("pause the music")
    assert parsed.intent == "pause" and tagger.calls == []


@pytest.mark.parametrize(
    ("label", "reason"),
    [("out_of_scope:podcast", "podcast"), ("out_of_scope:audiobook", "audiobook"),
     ("out_of_scope:volume", "volume"), ("out_of_scope:other", "other")],
)  # fmt: skip
def test_out_of_scope_says_why_and_is_not_music(
    gazetteer_dir: Path, label: str, reason: str
) -> None:
    parsed = parser(gazetteer_dir, ScriptedTagger(intent=label)).parse("play the daily show")
    assert (parsed.intent, parsed.reason) == ("out_of_scope", reason)
    assert not parsed.slots


def test_an_unsure_out_of_scope_reading_leaves_the_rules_answer(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(
        intent="out_of_scope:other", probability=0.3, spans={"artist": "radiohead"}
    )
    parsed = parser(gazetteer_dir, tagger).parse("play radiohead")
    assert parsed.intent == "play_music"
    assert parsed.slots["artist"].value == "Radiohead"


def test_a_confident_other_intent_wins(gazetteer_dir: Path) -> None:
    parsed = parser(gazetteer_dir, ScriptedTagger(intent="like")).parse("i really dig this one")
    assert parsed.intent == "like"


def test_the_name_is_the_model_span_not_the_words_around_it(gazetteer_dir: Path) -> None:
    text = "play something from 2004 by Imogen Heap on spotify"
    tagger = ScriptedTagger(spans={"era": "2004", "artist": "imogen heap", "service": "spotify"})
    parsed = parser(gazetteer_dir, tagger).parse(text)
    assert parsed.intent == "play_music"
    assert parsed.slots["artist"].value == "imogen heap"
    assert parsed.slots["artist"].id is None  # not in the catalog: said as heard
    assert parsed.slots["era"].value == "2004"
    assert "service" not in parsed.slots


def test_a_name_in_the_catalog_is_grounded_with_its_id(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(spans={"track": "karma police", "artist": "radiohead"})
    parsed = parser(gazetteer_dir, tagger).parse("let me hear karma police by radiohead")
    assert parsed.slots["track"].value == "Karma Police" and parsed.slots["track"].id
    assert parsed.slots["artist"].value == "Radiohead" and parsed.slots["artist"].id


def test_an_open_name_the_model_did_not_tag_is_dropped(gazetteer_dir: Path) -> None:
    # The rules alone read "the good songs from james iha" as an artist; the model tags the name.
    tagger = ScriptedTagger(spans={"artist": "james iha"})
    parsed = parser(gazetteer_dir, tagger).parse("let me hear the good songs from James Iha")
    assert parsed.slots["artist"].value == "james iha"
    assert set(parsed.slots) <= {"artist", "sort", "item_type"}


def test_a_genre_the_lexicon_does_not_know_keeps_the_words(gazetteer_dir: Path) -> None:
    for said in ("booty bass", "freak folk"):  # a listed genre name; a genre word at the end
        tagger = ScriptedTagger(spans={"genre": said})
        parsed = parser(gazetteer_dir, tagger).parse(f"play some {said} music")
        assert parsed.slots["genre"].text == said and "artist" not in parsed.slots


def test_a_genre_no_one_calls_a_genre_is_taken_for_a_name(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(spans={"genre": "arctic monkeys"})
    parsed = parser(gazetteer_dir, tagger).parse("play some arctic monkeys")
    assert parsed.slots["artist"].value == "arctic monkeys" and "genre" not in parsed.slots


def test_an_era_no_one_calls_an_era_is_the_rules_name_or_nothing(gazetteer_dir: Path) -> None:
    by_the_xx = parser(gazetteer_dir, ScriptedTagger(spans={"era": "xx"}))
    parsed = by_the_xx.parse("play something by the xx")
    assert parsed.slots["artist"].value == "the xx" and "era" not in parsed.slots
    twenties = parser(gazetteer_dir, ScriptedTagger(spans={"era": "twenties"}))
    assert twenties.parse("play some music from the twenties").slots["era"].value == "1920s"


def test_a_playlist_said_as_one_keeps_its_music_words(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(spans={"playlist": "country"})
    parsed = parser(gazetteer_dir, tagger).parse("play my country playlist")
    assert parsed.slots["playlist"].value == "country" and "genre" not in parsed.slots


def test_genre_words_lose_the_music_noun_after_them(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(spans={"genre": "rock station"})
    assert parser(gazetteer_dir, tagger).parse("play a rock station").slots["genre"].text == "rock"


def test_when_the_model_names_nothing_the_rules_short_open_name_stands(
    gazetteer_dir: Path,
) -> None:
    named = parser(gazetteer_dir, ScriptedTagger()).parse("play glass animals")
    assert named.slots["artist"].value == "glass animals"
    service = parser(gazetteer_dir, ScriptedTagger(spans={"service": "spotify"}))
    assert "artist" not in service.parse("play some music on spotify").slots


def test_another_kind_takes_a_name_only_on_an_exact_catalog_match(gazetteer_dir: Path) -> None:
    exact = parser(gazetteer_dir, ScriptedTagger(spans={"artist": "jolene"}))
    slots = exact.parse("play jolene").slots
    assert "artist" not in slots and [s.value for s in slots.values()] == ["Jolene"]
    close = parser(gazetteer_dir, ScriptedTagger(spans={"artist": "jeff lynne"}))
    parsed = close.parse("play ballads by jeff lynne")
    assert parsed.slots["artist"].value == "jeff lynne" and "track" not in parsed.slots


@pytest.mark.parametrize(
    ("text", "reason"),
    [("resume my audio book", "audiobook"), ("play the latest episode of serial", "podcast"),
     ("set the volume to five", "volume"), ("mute until i say so", "volume"),
     ("read chapter three of dune", "audiobook")],
)  # fmt: skip
def test_out_of_scope_words_are_the_rules_answer(
    gazetteer_dir: Path, text: str, reason: str
) -> None:
    tagger = ScriptedTagger(spans={"artist": "serial"})
    parsed = parser(gazetteer_dir, tagger).parse(text)
    assert (parsed.intent, parsed.reason) == ("out_of_scope", reason)
    assert tagger.calls == []


@pytest.mark.parametrize(
    "text", ["add metal hammer episode 6 to my playlist", "play mute math",
             "play los hombres calientes volume 3"],
)  # fmt: skip
def test_a_title_with_an_out_of_scope_word_is_still_a_title(gazetteer_dir: Path, text: str) -> None:
    parsed = parser(gazetteer_dir, ScriptedTagger(intent="play_music")).parse(text)
    assert parsed.intent != "out_of_scope"


def test_without_a_model_the_rules_answer(gazetteer_dir: Path) -> None:
    broken = parser(gazetteer_dir, ScriptedTagger(broken=True))
    broken.warm()  # logged, not raised
    assert broken.parse("play radiohead").slots["artist"].value == "Radiohead"
    assert broken.parse("pause").intent == "pause"


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_000, "🎵🎵", "\x00\x01"])
def test_strange_text_gets_a_clear_answer(gazetteer_dir: Path, text: str) -> None:
    parsed = parser(gazetteer_dir, ScriptedTagger()).parse(text)
    assert parsed.intent in ("fallback", "play_music")
    if not clean_words(text) or len(text) > 500:
        assert parsed.intent == "fallback"


def test_viterbi_keeps_a_name_in_one_kind() -> None:
    import numpy as np

    from nlu.joint_model import viterbi

    tags = ("O", "B-track", "I-track", "B-album", "I-album")
    # Per word argmax would give B-track I-album I-album: a name split between two kinds.
    scores = np.log(np.array([
        [0.05, 0.6, 0.05, 0.25, 0.05],
        [0.05, 0.05, 0.4, 0.05, 0.45],
        [0.05, 0.05, 0.4, 0.05, 0.45],
    ]))  # fmt: skip
    assert viterbi(scores, tags) in (["B-track", "I-track", "I-track"],
                                     ["B-album", "I-album", "I-album"])  # fmt: skip
    assert viterbi(np.log(np.array([[0.1, 0.1, 0.6, 0.1, 0.1]])), tags) != ["I-track"]
    assert viterbi(np.zeros((0, 5)), tags) == []


def test_a_name_the_catalog_confirmed_beats_the_model_s_kind(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(spans={"genre": "radiohead"})
    parsed = parser(gazetteer_dir, tagger).parse("play radiohead")
    assert parsed.slots["artist"].value == "Radiohead"
    assert "genre" not in parsed.slots


def test_a_lone_name_made_of_mood_words_is_a_description(gazetteer_dir: Path) -> None:
    parsed = parser(gazetteer_dir, ScriptedTagger(spans={"track": "sad"})).parse(
        "play something sad"
    )
    assert parsed.slots["mood"].value == "sad" and "track" not in parsed.slots


def test_a_doubtful_other_domain_does_not_silence_a_described_request(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(intent="out_of_scope:other", probability=0.7)
    parsed = parser(gazetteer_dir, tagger).parse("play some relaxing jazz")
    assert parsed.intent == "play_music" and parsed.slots["genre"].value == "jazz"
    sure = ScriptedTagger(intent="out_of_scope:other", probability=0.97)
    assert parser(gazetteer_dir, sure).parse("play some relaxing jazz").intent == "out_of_scope"


def test_the_catalog_tells_a_track_from_an_album(gazetteer_dir: Path) -> None:
    # "Play X by Y" reads the same for both; the catalog has OK Computer only as an album.
    tagger = ScriptedTagger(spans={"track": "ok computer", "artist": "radiohead"})
    parsed = parser(gazetteer_dir, tagger).parse("play ok computer by radiohead")
    assert parsed.slots["album"].value == "OK Computer" and parsed.slots["album"].id
    assert "track" not in parsed.slots


def test_alexa_s_play_query_is_read_with_its_verb_and_may_be_out_of_scope(
    gazetteer_dir: Path,
) -> None:
    tagger = ScriptedTagger(intent="out_of_scope:podcast")
    parsed = parser(gazetteer_dir, tagger).parse("the daily show", assume_play=True)
    assert (parsed.intent, parsed.reason) == ("out_of_scope", "podcast")
    assert tagger.calls == [("play", "the", "daily", "show")]


def test_time_expressions_never_reach_the_models_names(gazetteer_dir: Path) -> None:
    # A model that hears "at night" as an artist: the rules took the words out before it.
    tagger = ScriptedTagger(spans={"artist": "at night", "activity": "meditation"})
    parsed = parser(gazetteer_dir, tagger).parse("play meditation at night every day")
    assert tagger.calls == [("play", "meditation")]
    assert "artist" not in parsed.slots
    assert {k: v.value for k, v in parsed.slots.items() if k in ("part_of_day", "recurrence")} == {
        "part_of_day": "night", "recurrence": "daily",
    }  # fmt: skip
    tonight = parser(gazetteer_dir, ScriptedTagger(spans={"artist": "tonight"}))
    relaxing = tonight.parse("play something relaxing tonight")
    assert "artist" not in relaxing.slots
    assert relaxing.slot_value("mood") == "relaxing"
    assert relaxing.slot_value("part_of_day") == "night"


def test_a_routine_request_stays_with_the_rules(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(spans={"artist": "morning routine"})
    parsed = parser(gazetteer_dir, tagger).parse("play my morning routine")
    assert tagger.calls == []
    assert (parsed.slot_value("routine"), parsed.slot_value("part_of_day")) == (
        "morning", "morning",
    )  # fmt: skip


def test_a_catalog_name_keeps_its_time_words(tmp_path: Path) -> None:
    from nlu.gazetteer import build_gazetteer
    from nlu.loading import load_parser
    from playback.catalog import Track

    tracks = [
        Track("t-1", "Tonight Tonight", "a-1", "The Smashing Pumpkins", genre="rock"),
        Track("t-2", "Every Day", "a-2", "Buddy Holly", genre="rock"),
    ]
    build_gazetteer(tracks, tmp_path / "gazetteer")
    names = load_parser(tmp_path / "gazetteer", embeddings=False)
    title = names.parse("play tonight tonight")  # a longer name over the time words
    assert title.slot_value("track") == "Tonight Tonight" and "part_of_day" not in title.slots
    alone = names.parse("play every day")  # the name is all the request says
    assert alone.slot_value("track") == "Every Day" and "recurrence" not in alone.slots
    daily = names.parse("play some rock every day")  # a time expression after other words
    assert daily.slot_value("recurrence") == "daily" and "track" not in daily.slots


def test_a_lone_name_nothing_calls_a_title_is_an_artist(gazetteer_dir: Path) -> None:
    for text in ("put on arctic monkeys", "play glass animals radio"):
        name = text.removeprefix("put on ").removeprefix("play ").removesuffix(" radio")
        parsed = parser(gazetteer_dir, ScriptedTagger(spans={"album": name})).parse(text)
        assert parsed.slots["artist"].value == name and "album" not in parsed.slots
    said = parser(gazetteer_dir, ScriptedTagger(spans={"album": "arctic monkeys"}))
    assert "album" in said.parse("play the album arctic monkeys").slots


class AskedClassifier:
    """A prototype classifier that records what it is asked and has no answer (as when the
    embeddings are unavailable, so the parser goes on without it)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def warm(self) -> None:
        pass

    def classify(self, text: str) -> Scores:
        self.asked.append(text)
        raise EmbeddingsUnavailable("scripted")


def test_the_prototypes_are_asked_only_for_words_the_model_left_unplaced(
    gazetteer_dir: Path,
) -> None:
    carried = AskedClassifier()
    spans = {"sort": "greatest", "artist": "howard levy", "item_type": "song"}
    request = "play me the greatest howard levy song on pandora"
    tagged = TrainedParser(load_gazetteer(gazetteer_dir), cast(PrototypeClassifier, carried),
                           ScriptedTagger(spans=spans))  # fmt: skip
    assert tagged.parse(request).slots["artist"].value == "howard levy"
    assert carried.asked == []  # a sort, an artist, an item type: nothing left to describe
    described = AskedClassifier()
    lazy = ScriptedTagger(spans={"track": "a lazy afternoon in the hammock"})
    tagged = TrainedParser(
        load_gazetteer(gazetteer_dir), cast(PrototypeClassifier, described), lazy
    )
    tagged.parse("songs for a lazy afternoon in the hammock")
    assert described.asked == ["songs for a lazy afternoon in the hammock"]


@pytest.mark.parametrize(
    ("request_text", "spans"),
    [
        ("i wish to hear music from the year 1996", {"era": "1996"}),
        ("use itunes to play a dancing playlist", {"service": "itunes", "playlist": "dancing"}),
        ("let me listen to some seventies music with slacker",
         {"era": "seventies", "service": "slacker"}),
        ("want to play christina schollin on lastfm",
         {"artist": "christina schollin", "service": "lastfm"}),
    ],
)  # fmt: skip
def test_words_that_only_lead_into_the_request_leave_nothing_to_describe(
    gazetteer_dir: Path, request_text: str, spans: dict[str, str]
) -> None:
    asked = AskedClassifier()
    tagged = TrainedParser(load_gazetteer(gazetteer_dir), cast(PrototypeClassifier, asked),
                           ScriptedTagger(spans=spans))  # fmt: skip
    tagged.parse(request_text)
    assert asked.asked == []


@pytest.mark.parametrize(
    "request_text",
    ["play songs to get me fired up", "i'm in the mood to listen to meditative music",
     "play some seventies music with a good melody"],
)  # fmt: skip
def test_the_same_words_leading_into_a_description_still_ask_the_prototypes(
    gazetteer_dir: Path, request_text: str
) -> None:
    asked = AskedClassifier()
    era = {"era": "seventies"} if "seventies" in request_text else {}
    tagged = TrainedParser(load_gazetteer(gazetteer_dir), cast(PrototypeClassifier, asked),
                           ScriptedTagger(spans=era))  # fmt: skip
    tagged.parse(request_text)
    assert asked.asked == [request_text]


def test_the_model_reads_put_x_on_with_the_particle_beside_its_verb(gazetteer_dir: Path) -> None:
    tagger = ScriptedTagger(spans={"artist": "taylor swift"})
    parsed = parser(gazetteer_dir, tagger).parse("put taylor swift on")
    assert tagger.calls == [("put", "on", "taylor", "swift")]
    assert parsed.intent == "play_music" and parsed.slots["artist"].text == "taylor swift"
