"""Fixtures for the golden-envelope tests, on the shared ``world`` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from skill.alexa import handle_envelope
from tests.fakes import World
from tests.skill.golden import load_envelope


@pytest.fixture
def invoke(world: World) -> Callable[[str], dict[str, Any]]:
    """Run a golden envelope through the skill; its ``response`` part."""

    def run(name: str) -> dict[str, Any]:
        answer = handle_envelope(world.skill, load_envelope(name))
        assert answer["version"] == "1.0"
        response: dict[str, Any] = answer["response"]
        return response

    return run
