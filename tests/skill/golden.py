"""Loading the golden request envelopes in ``envelopes/``, and what the tests check them with.

Every golden envelope comes from one listener on one device; the device plays
``PLAYING_TOKEN`` (Morning Tide) unless the envelope says otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playback.queue import DeviceQueue, new_queue, queue_key

ENVELOPES = Path(__file__).parent / "envelopes"
PLAYING_TOKEN = "t1.0badf00d.t-relax-1"
# What a "play something relaxing" queue holds in the test world, in order.
RELAXING = ("t-relax-1", "t-relax-2", "t-jazz-1")


def envelope_text(name: str) -> str:
    return (ENVELOPES / f"{name}.json").read_text(encoding="utf-8")


def load_envelope(name: str) -> Any:
    """A golden envelope by file stem, parsed."""
    return json.loads(envelope_text(name))


_LAUNCH = load_envelope("launch")
USER: str = _LAUNCH["context"]["System"]["user"]["userId"]
DEVICE: str = _LAUNCH["context"]["System"]["device"]["deviceId"]
KEY = queue_key(USER, DEVICE)


def playing_queue(tracks: tuple[str, ...] = RELAXING) -> DeviceQueue:
    """The queue of a device that plays ``tracks[0]`` under ``PLAYING_TOKEN``."""
    return new_queue(KEY, tracks, PLAYING_TOKEN, request=[("mood", "relaxing")])


def ssml(response: dict[str, Any]) -> str:
    text: str = response["outputSpeech"]["ssml"]
    assert text.startswith("<speak>") and text.endswith("</speak>")
    return text.removeprefix("<speak>").removesuffix("</speak>")


def only_play(response: dict[str, Any], behavior: str = "REPLACE_ALL") -> dict[str, Any]:
    """The response's one directive, an AudioPlayer.Play with ``behavior``: its stream."""
    directives: list[dict[str, Any]] = response["directives"]
    (directive,) = directives
    assert directive["type"] == "AudioPlayer.Play"
    assert directive["playBehavior"] == behavior
    stream: dict[str, Any] = directive["audioItem"]["stream"]
    stream["metadata"] = directive["audioItem"]["metadata"]
    return stream
