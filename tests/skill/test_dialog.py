"""``philomath dialog``'s replay: the shipped dialog files run on the test world, turns
become the envelopes Alexa would send, and unmet expectations fail the replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from skill.dialog import DIALOGS_DIR, Dialog, Turn, load_dialog, replay, replay_file
from tests.fakes import World

SHIPPED = sorted(DIALOGS_DIR.glob("*.json"))


def test_there_are_several_shipped_dialogs() -> None:
    assert len(SHIPPED) >= 3


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_dialog_replays_with_every_expectation_met(world: World, path: Path) -> None:
    transcript = replay_file(path, world.skill, world.parser)
    assert transcript.ok, transcript.render()
    assert transcript.render().endswith("all expectations met.")


def test_the_transcript_shows_what_alexa_says_plays_and_enqueues(world: World) -> None:
    transcript = replay_file(DIALOGS_DIR / "relaxing_evening.json", world.skill, world.parser)
    text = transcript.render()
    assert "Alexa says: Playing Morning Tide by Quiet Harbor" in text
    assert "Alexa plays: Morning Tide - Quiet Harbor  [t1." in text
    assert "Alexa enqueues: Slow River - Quiet Harbor" in text
    assert "Alexa plays: Blue Smoke - Norah Vale from 42 s" in text
    # The listener's actions reached the event stream in order.
    kinds = [e.kind for e in world.published()]
    assert kinds[:4] == ["started", "finished", "started", "skipped"]
    assert "liked" in kinds


def test_an_unmet_expectation_fails_the_replay(world: World) -> None:
    dialog = Dialog(
        turns=[
            Turn.model_validate({"say": "play something relaxing",
                                 "expect": {"says": "Playing Blue Smoke", "plays": "ENQUEUE"}}),
            Turn.model_validate({"intent": "AMAZON.HelpIntent", "expect": {"silent": True}}),
        ]
    )  # fmt: skip
    transcript = replay(dialog, world.skill, world.parser)
    assert not transcript.ok
    assert len(transcript.failures) == 3
    assert transcript.failures[0].startswith("turn 1: expected speech containing")
    assert "3 unmet" in transcript.render()


def test_the_listener_can_be_replaced(world: World) -> None:
    replay_file(DIALOGS_DIR / "relaxing_evening.json", world.skill, world.parser, user="u-x")
    assert {e.user_id for e in world.published()} == {"u-x"}


@pytest.mark.parametrize(
    "turn",
    [{}, {"launch": True, "say": "hi"}, {"slots": {"Mood": "sad"}, "say": "x"},
     {"event": "PlaybackExploded"}, {"button": "Eject"}, {"launch": True, "surprise": 1}],
)  # fmt: skip
def test_malformed_turns_are_refused(turn: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Turn.model_validate(turn)


def test_an_event_with_nothing_playing_is_a_clear_error(world: World) -> None:
    dialog = Dialog(turns=[Turn(event="PlaybackStarted")])
    with pytest.raises(ValueError, match="nothing is playing"):
        replay(dialog, world.skill, world.parser)


def test_a_file_that_is_not_a_dialog_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"turns": []}', encoding="utf-8")
    with pytest.raises(ValidationError):
        load_dialog(path)
