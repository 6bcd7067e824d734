"""``philomath dialog`` end to end: every shipped dialog replays against the embedded
defaults (SQLite files made by the offline pipeline on a tiny generated data set), through
``build_online`` exactly as the command builds it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from philomath.settings import Settings
from philomath.wiring import Online, build_online
from skill.dialog import DIALOGS_DIR, replay_file


@pytest.fixture(scope="module")
def online(tiny_pipeline: Path) -> Iterator[Online]:
    built = build_online(Settings(data_dir=tiny_pipeline, log_level="WARNING"))
    yield built
    built.close()


@pytest.mark.parametrize("path", sorted(DIALOGS_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_shipped_dialog_runs_on_the_embedded_defaults(online: Online, path: Path) -> None:
    transcript = replay_file(path, online.skill, online.parser)
    assert transcript.ok, transcript.render()
    text = transcript.render()
    if "supports_audio" not in path.read_text(encoding="utf-8"):
        assert "Alexa plays:" in text
        assert "?exp=" not in text  # tokens are shown, not URLs
