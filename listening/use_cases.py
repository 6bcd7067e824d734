"""The listening use cases, built once by the composition root and handed to every front door."""

from __future__ import annotations

from dataclasses import dataclass

from listening.device_queue import DevicePlayback
from listening.events import EventRecorder
from listening.player import MusicPlayer
from listening.routines import RoutineStore


@dataclass(frozen=True, slots=True)
class Listening:
    """``player`` picks tracks, ``playback`` moves through device queues, ``events`` records
    what listeners do, ``routines`` keeps the routines they declared (None: no routines API)."""

    player: MusicPlayer
    playback: DevicePlayback
    events: EventRecorder
    routines: RoutineStore | None = None
