"""What training's candidate factories take: the plays and side data (``TrainingData``),
and a candidate (a label and a factory). Apart from ``training`` so that the promotion gate
(``champion``) can rebuild candidates without importing training."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.data.content_features import ItemFeatures
from recommender.data.etl import unified
from recommender.data.interactions import Interactions
from recommender.errors import DataError
from recommender.models.base import Recommender


@dataclass(frozen=True)
class TrainingData:
    """What candidate factories may use: the plays, all of them as a matrix, the tables, and
    side data computed once on first use (track content, play times)."""

    interactions: Interactions
    user_items: sp.csr_matrix  # every play: users x tracks confidence sums
    unified_dir: Path

    @cached_property
    def track_features(self) -> ItemFeatures:
        """Genre, moods and audio features of every track, rows in track index order."""
        tracks = list(unified.tracks(self.unified_dir))
        if [t.track_id for t in tracks] != self.interactions.track_ids.tolist():
            raise DataError(f"the tracks of {self.unified_dir} changed while training")
        return ItemFeatures.of_tracks(tracks)

    @cached_property
    def play_times(self) -> sp.csr_matrix:
        """users x tracks: when each listener last played each track (epoch seconds)."""
        plays = self.interactions
        n_tracks = len(plays.track_ids)
        keys = plays.user_idx * n_tracks + plays.track_idx
        # Plays come in time order, so a pair's first occurrence backwards is its latest.
        pairs, first = np.unique(keys[::-1], return_index=True)
        latest = plays.event_time[::-1][first]
        shape = self.user_items.shape
        return sp.csr_matrix((latest, (pairs // n_tracks, pairs % n_tracks)), shape=shape)


Factory = Callable[[TrainingData, sp.csr_matrix, int], Recommender]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A model to try: ``build(data, fit_matrix, seed)`` returns it unfitted."""

    label: str
    build: Factory
    description: str = ""
    large_catalog: bool = True  # False: skipped above models.head.LARGE_CATALOG_ITEMS tracks
