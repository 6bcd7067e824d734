"""Simulated listeners: the generator's hidden listeners, whose true tastes are known.

They play or skip what they are served with the generator's own skip model
(``taste.match_score`` and ``taste.skip_probability``), plus noise on how well a track fits
them that day. A content shift raises one genre's appeal for every listener from a chosen
day on: their true genre weights move towards it, as when a genre starts trending.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recommender.data.generator.taste import (
    GENRES,
    STOP_PROBABILITY,
    GroundTruth,
    skip_probability,
)
from recommender.evaluation.satisfaction import TRUTH_FILE

FloatArray = npt.NDArray[np.float64]

MATCH_NOISE = 0.1  # sd of the day-to-day wobble in how well a track fits a listener
SKIPS_TO_QUIT = 2  # skips in a row after which a listener gives up on the session


@dataclass(frozen=True, slots=True)
class ContentShift:
    """From ``day`` on, ``genre`` gains ``strength`` of every listener's genre weight."""

    day: int
    genre: str
    strength: float = 0.5

    def __post_init__(self) -> None:
        if self.day < 0:
            raise ValueError("the shift day must be >= 0")
        if not 0.0 < self.strength <= 1.0:
            raise ValueError("the shift strength must be within (0, 1]")
        known = [genre.name for genre in GENRES]
        if self.genre not in known:
            raise ValueError(f"unknown genre {self.genre!r}; known: {', '.join(known)}")


def load_truth(raw_dir: Path) -> GroundTruth:
    path = raw_dir / TRUTH_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no generator ground truth at {path}")
    return GroundTruth.load(path)


def shifted(truth: GroundTruth, shift: ContentShift) -> GroundTruth:
    """The same world after ``shift``: genre weights mixed towards the trending genre."""
    trending = np.zeros(len(truth.genres), dtype=np.float32)
    trending[truth.genres.index(shift.genre)] = 1.0
    weights = (1 - shift.strength) * truth.user_genre_weights + shift.strength * trending
    return replace(truth, user_genre_weights=weights.astype(np.float32))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a listener did with the tracks of one session, in the order served."""

    track_ids: tuple[str, ...]  # the tracks they reached (started)
    skipped: tuple[bool, ...]
    stopped: bool  # the session ended on a stop rather than skips or the list's end


class SimulatedListeners:
    """Decides plays and skips from the (possibly shifted) true tastes."""

    def __init__(self, truth: GroundTruth, shift: ContentShift | None = None) -> None:
        self._truth = truth
        self._shifted = shifted(truth, shift) if shift is not None else truth
        self._shift = shift
        self._best: dict[tuple[bool, str], list[str]] = {}  # (shifted, listener) -> order

    @property
    def user_ids(self) -> list[str]:
        return [str(u) for u in self._truth.user_ids]

    def truth_on(self, day: int) -> GroundTruth:
        if self._shift is not None and day >= self._shift.day:
            return self._shifted
        return self._truth

    def best_tracks(
        self, day: int, user_id: str, n: int, exclude: Collection[str] = ()
    ) -> list[str]:
        """The ``n`` tracks (not in ``exclude``) that fit the listener's true taste on ``day``
        best, best first (the oracle's answer); none for a listener the truth does not know."""
        truth = self.truth_on(day)
        key = (truth is not self._truth, user_id)
        order = self._best.get(key)
        if order is None:
            user = truth.user_index([user_id])[0]
            if user < 0:
                return []
            tracks = np.arange(len(truth.track_ids))
            match = truth.match(np.full(len(tracks), user), tracks)
            order = [str(truth.track_ids[j]) for j in np.argsort(-match, kind="stable")]
            self._best[key] = order
        skip = set(exclude)
        return list(islice((track for track in order if track not in skip), n))

    def listen(
        self, day: int, user_id: str, track_ids: list[str], rng: np.random.Generator
    ) -> Outcome:
        """Go down the served list: each track is skipped with the skip model's probability
        of its (noisy) fit, and the session ends on a stop, ``SKIPS_TO_QUIT`` skips in a row,
        or the end of the list."""
        if not track_ids:
            return Outcome((), (), False)
        truth = self.truth_on(day)
        tracks = truth.track_index(track_ids)
        user = truth.user_index([user_id])[0]
        match = np.zeros(len(track_ids))
        known = tracks >= 0
        if user >= 0 and known.any():
            match[known] = truth.match(np.full(int(known.sum()), user), tracks[known])
        noisy = np.clip(match + rng.normal(0.0, MATCH_NOISE, len(track_ids)), 0.0, 1.0)
        skips = rng.random(len(track_ids)) < skip_probability(noisy)
        stops = rng.random(len(track_ids)) < STOP_PROBABILITY
        reached: list[str] = []
        skipped: list[bool] = []
        in_a_row = 0
        for track_id, skip, stop in zip(track_ids, skips.tolist(), stops.tolist(), strict=True):
            reached.append(track_id)
            skipped.append(bool(skip))
            if not skip and stop:
                return Outcome(tuple(reached), tuple(skipped), True)
            in_a_row = in_a_row + 1 if skip else 0
            if in_a_row >= SKIPS_TO_QUIT:
                break
        return Outcome(tuple(reached), tuple(skipped), False)
