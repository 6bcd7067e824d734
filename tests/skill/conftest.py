"""Fixtures for the golden-envelope tests: a tiny world on the real SQLite adapters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import World, build_world
from golden import load_envelope

from skill.alexa import handle_envelope


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = build_world(tmp_path)
    yield built
    built.close()


@pytest.fixture
def invoke(world: World) -> Callable[[str], dict[str, Any]]:
    """Run a golden envelope through the skill; its ``response`` part."""

    def run(name: str) -> dict[str, Any]:
        answer = handle_envelope(world.skill, load_envelope(name))
        assert answer["version"] == "1.0"
        response: dict[str, Any] = answer["response"]
        return response

    return run
