"""Play events to logged bandit feedback for ``off_policy``'s estimators.

A logged action is one track served at one position of one impression (``Served``): the
events sharing ``(impression_id, position)`` are one row. What counts:

- reward 1 when any of its events is ``finished``; 0 when it was played but did not finish
  (``started``, ``skipped``, ``stopped``, ``failed``); ``liked`` / ``disliked`` neither add
  a row nor change its reward;
- the propensity is the logging policy's probability of that track at that position
  (``Served.propensity``); rows whose events carry none are left out and counted, as are
  events with no ``served`` at all (not recommended, or schema version 1);
- the context is the request's facets (``Served.context``) as one key, ``genre=jazz;mood=calm``.

Only positions a listener reached produce events, so a slate (one impression) is complete
only up to the positions its events cover; ``slates(length)`` keeps the impressions whose
first ``length`` positions all have a row with a propensity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from playback.events import PlaybackEvent
from recommender.evaluation.off_policy import BanditLog, OffPolicyInputError, SlateLog

PLAYED = frozenset({"started", "finished", "skipped", "stopped", "failed"})


@dataclass(frozen=True, slots=True)
class LoggedPlay:
    impression_id: str
    position: int
    track_id: str
    context: str
    path: str
    model_version: str
    propensity: float
    reward: float


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Integer codes of contexts and tracks, in first-seen order."""

    contexts: tuple[str, ...]
    tracks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EventLogs:
    plays: tuple[LoggedPlay, ...]
    unattributed: int  # playback events without ``served``
    without_propensity: int  # (impression, position) rows left out for lack of a propensity

    def bandit_log(self) -> tuple[BanditLog, Vocabulary]:
        """Every play as one row; raises ``OffPolicyInputError`` when there is none."""
        contexts = _codes(p.context for p in self.plays)
        tracks = _codes(p.track_id for p in self.plays)
        log = BanditLog(
            np.array([contexts[p.context] for p in self.plays], dtype=np.int64),
            np.array([tracks[p.track_id] for p in self.plays], dtype=np.int64),
            np.array([p.reward for p in self.plays], dtype=np.float64),
            np.array([p.propensity for p in self.plays], dtype=np.float64),
        )
        return log, Vocabulary(tuple(contexts), tuple(tracks))

    def slates(self, length: int) -> tuple[SlateLog, tuple[tuple[LoggedPlay, ...], ...]]:
        """Impressions whose positions ``0 .. length - 1`` are all logged, as slates with
        reward = tracks finished among them; with the plays of each slate, by position (to
        look up the target's marginals)."""
        if length < 1:
            raise OffPolicyInputError("a slate has at least one position")
        by_impression: dict[str, dict[int, LoggedPlay]] = {}
        for play in self.plays:
            by_impression.setdefault(play.impression_id, {})[play.position] = play
        kept = [
            tuple(positions[j] for j in range(length))
            for positions in by_impression.values()
            if all(j in positions for j in range(length))
        ]
        log = SlateLog(
            np.array([sum(p.reward for p in slate) for slate in kept], dtype=np.float64),
            np.array([[p.propensity for p in slate] for slate in kept], dtype=np.float64),
        )
        return log, tuple(kept)


def from_events(events: Iterable[PlaybackEvent]) -> EventLogs:
    """Group play events into logged plays (see the module's docstring for what counts)."""
    rows: dict[tuple[str, int], list[PlaybackEvent]] = {}
    unattributed = 0
    for event in events:
        if event.kind not in PLAYED:
            continue
        if event.served is None:
            unattributed += 1
            continue
        rows.setdefault((event.served.impression_id, event.served.position), []).append(event)
    plays = []
    missing = 0
    for (impression_id, position), group in rows.items():
        propensity = next((p for p in map(_propensity, group) if p is not None), None)
        if propensity is None:
            missing += 1
            continue
        served = group[0].served
        assert served is not None  # grouped on it above
        plays.append(
            LoggedPlay(
                impression_id=impression_id,
                position=position,
                track_id=group[0].track_id,
                context=";".join(f"{k}={v}" for k, v in sorted(served.context.items())),
                path=served.path,
                model_version=served.model_version,
                propensity=propensity,
                reward=1.0 if any(e.kind == "finished" for e in group) else 0.0,
            )
        )
    return EventLogs(tuple(plays), unattributed, missing)


def _propensity(event: PlaybackEvent) -> float | None:
    # ``Served.propensity`` is newer than attribution: older records have no such field.
    value = getattr(event.served, "propensity", None)
    return None if value is None else float(value)


def _codes(keys: Iterable[str]) -> dict[str, int]:
    codes: dict[str, int] = {}
    for key in keys:
        codes.setdefault(key, len(codes))
    return codes
