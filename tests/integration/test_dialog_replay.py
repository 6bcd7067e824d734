"""``philomath dialog`` end to end: every shipped dialog replays against the embedded
defaults (SQLite files made by the offline pipeline on a tiny generated data set), through
``build_online`` exactly as the command builds it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from philomath.offline import run_offline
from philomath.settings import Settings
from philomath.wiring import Online, build_online
from skill.dialog import DIALOGS_DIR, replay_file


@pytest.fixture(scope="module")
def online(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Online]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("dialogs"),
        users=30,
        tracks=300,
        events=3_000,
        log_level="WARNING",
    )
    run_offline(settings, progress=False)
    built = build_online(settings)
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
