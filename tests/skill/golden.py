"""Loading the golden request envelopes in ``envelopes/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ENVELOPES = Path(__file__).parent / "envelopes"


def envelope_text(name: str) -> str:
    return (ENVELOPES / f"{name}.json").read_text(encoding="utf-8")


def load_envelope(name: str) -> Any:
    """A golden envelope by file stem, parsed."""
    return json.loads(envelope_text(name))
