"""The evaluation sets and the scoring: sizes, label validity, separation from what the
parser was built from, the metric arithmetic, the targets, and JSON in and out (the
``philomath nlu`` commands over them are tested in tests/integration/test_cli.py)."""

from __future__ import annotations

import io
import json
from typing import get_args

import pytest

from nlu.evaluate import (
    EVAL_DIR,
    SLOTS,
    Example,
    eval_catalog,
    evaluate,
    evaluate_set,
    load_examples,
)
from nlu.jsonl import parse_lines, parsed_json
from nlu.lexicon import ITEM_TYPES, SORT_SYNONYMS, era_of
from nlu.parsed import Intent, ParsedRequest, Slot
from nlu.parser import MusicParser
from nlu.prototypes import ACTIVITY_PROTOTYPES, INTENT_PROTOTYPES, MOOD_PROTOTYPES
from nlu.text import name_key
from playback.vocabulary import ACTIVITY_SYNONYMS, MOODS

TEST = load_examples(EVAL_DIR / "test.jsonl")
DEV = load_examples(EVAL_DIR / "dev.jsonl")


def test_the_test_set_is_large_and_varied() -> None:
    assert len(TEST) >= 600
    tags = {e.tag for e in TEST}
    assert {"unknown_artist", "slip", "out_of_domain", "noise", "description"} <= tags
    # out_of_scope is scored on real requests (nlu evaluate --corpus slurp|snips); the own
    # set's other-domain requests are labelled fallback, and an out_of_scope answer counts.
    assert {e.intent for e in TEST} == set(get_args(Intent)) - {"out_of_scope"}


@pytest.mark.parametrize("examples", [TEST, DEV], ids=["test", "dev"])
def test_labels_use_canonical_values(examples: list[Example]) -> None:
    genres = {t.genre for t in eval_catalog()}
    for example in examples:
        assert example.intent in get_args(Intent), example
        assert set(example.slots) <= set(SLOTS), example
        if example.intent != "play_music":
            assert example.slots == {}, example
        checks = {
            "mood": MOODS, "genre": genres, "activity": set(ACTIVITY_SYNONYMS.values()),
            "sort": set(SORT_SYNONYMS.values()), "item_type": set(ITEM_TYPES.values()),
        }  # fmt: skip
        for name, allowed in checks.items():
            if name in example.slots:
                assert example.slots[name] in allowed, example
        if "era" in example.slots:
            assert era_of(example.slots["era"]) == example.slots["era"], example


def test_evaluation_utterances_are_not_prototypes_and_test_is_not_dev() -> None:
    prototypes = {
        name_key(text)
        for table in (MOOD_PROTOTYPES, ACTIVITY_PROTOTYPES, INTENT_PROTOTYPES)
        for texts in table.values()
        for text in texts
    }
    test_texts = {name_key(e.text) for e in TEST}
    assert not test_texts & prototypes
    assert not {name_key(e.text) for e in DEV} & prototypes
    shared = test_texts & {name_key(e.text) for e in DEV}
    assert shared <= {"", "play", "pause"}, shared  # too short to phrase two ways


class _Echo:
    """A parser that answers what it is told to, for checking the arithmetic."""

    def __init__(self, answers: dict[str, ParsedRequest]) -> None:
        self.answers = answers

    def parse(self, text: str, *, assume_play: bool = False) -> ParsedRequest:
        return self.answers[text]


def test_metrics_arithmetic() -> None:
    examples = [
        Example("a", "play_music", {"artist": "Adele", "mood": "sad"}),
        Example("b", "play_music", {"genre": "jazz"}),
        Example("c", "pause", {}),
    ]
    answers = {
        "a": ParsedRequest(intent="play_music", confidence=1,
                           slots={"artist": Slot(text="adele", value="ADELE")}),
        "b": ParsedRequest(intent="play_music", confidence=1,
                           slots={"genre": Slot(text="rock", value="rock")}),
        "c": ParsedRequest(intent="pause", confidence=1),
    }  # fmt: skip
    report = evaluate(_Echo(answers), examples)
    assert report.intent_accuracy == 1.0
    assert report.exact_match == pytest.approx(1 / 3)
    assert report.slots["artist"].f1 == 1.0  # case does not count
    assert (report.slots["mood"].recall, report.slots["mood"].precision) == (0.0, 0.0)
    assert report.slots["genre"].precision == 0.0 and report.slots["genre"].support == 1
    assert len(report.errors) == 2
    assert set(report.latency_ms) == {"p50", "p99"}


def test_targets_on_the_test_set(music_parser: MusicParser) -> None:
    report = evaluate(music_parser, TEST)
    assert report.intent_accuracy >= 0.95
    assert report.exact_match >= 0.85
    for slot in ("artist", "genre", "mood"):
        assert report.slots[slot].f1 >= 0.90, (slot, report.slots[slot])


def test_evaluate_set_reports_every_figure() -> None:
    report = evaluate_set("dev", embeddings=False).as_dict()
    assert report["examples"] == len(DEV)
    assert {"intent_accuracy", "exact_match", "slots", "latency_ms"} <= set(report)
    assert set(report["slots"]) == set(SLOTS)


def test_parse_prints_one_request(catalog_parser: MusicParser) -> None:
    parsed = json.loads(parsed_json(catalog_parser, "play the stones"))
    assert parsed["intent"] == "play_music"
    assert parsed["slots"]["artist"]["id"] == "ev-a02"


def test_parse_jsonl_answers_line_for_line(catalog_parser: MusicParser) -> None:
    lines = ["pause", "", "play jazz", '{"text": "songs by adele"}', "🎵"]
    out = io.StringIO()
    parse_lines(catalog_parser, io.StringIO("\n".join(lines)), out)
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [a["intent"] for a in answers] == ["pause", "fallback", "play_music", "play_music",
                                              "fallback"]  # fmt: skip
    assert answers[3]["slots"]["artist"]["value"] == "Adele"
    assert answers[1]["reason"] == "empty"
