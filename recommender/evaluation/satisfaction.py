"""Listener satisfaction: the expected share of recommended tracks played to the end.

Only the embedded data set can measure it: its generator knows every listener's true taste
(``data.taste.GroundTruth``, in ``<raw>/_truth/truth.npz``) and so the probability that a
listener plays a given track to the end instead of skipping or stopping it. For a list of
recommendations the expected share of finished plays is the mean of those probabilities;
the figure of a model is the mean over evaluated listeners::

    satisfaction@k = mean over users u of ( mean over i in top_k(u) of finish(u, i) )

Padding (-1) is not a recommended track and counts for nothing; a listener or track the truth
does not know (a row the ETL created, which the generator never wrote) is left out, and a user
with nothing left gets NaN, which the means skip. The truth is read for evaluation only: no
training step may see it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from recommender.data.generator.taste import GroundTruth

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

TRUTH_FILE = Path("_truth") / "truth.npz"


class ListenerSatisfaction:
    """Scores recommendations given as indices into one id vocabulary pair (a model's)."""

    def __init__(
        self, truth: GroundTruth, user_ids: npt.ArrayLike, track_ids: npt.ArrayLike
    ) -> None:
        self._truth = truth
        self._users = truth.user_index(user_ids)
        self._tracks = truth.track_index(track_ids)

    @classmethod
    def from_raw(
        cls, raw_dir: Path, user_ids: npt.ArrayLike, track_ids: npt.ArrayLike
    ) -> ListenerSatisfaction | None:
        """From the generator's truth under ``raw_dir``; None for data without one."""
        path = raw_dir / TRUTH_FILE
        if not path.is_file():
            return None
        return cls(GroundTruth.load(path), user_ids, track_ids)

    def per_user(self, users: npt.ArrayLike, recommended: npt.ArrayLike) -> FloatArray:
        """Per row of ``recommended`` (users x k track indices, -1 padding) the mean finish
        probability of its tracks for user ``users[row]``; NaN where none can be scored."""
        rows = np.asarray(users, dtype=np.int64).reshape(-1)
        ids = np.asarray(recommended, dtype=np.int64)
        if ids.ndim != 2 or ids.shape[0] != len(rows):
            raise ValueError(f"need one row of recommendations per user, got {ids.shape}")
        if ids.size == 0:
            return np.full(len(rows), np.nan)
        truth_user = np.repeat(self._users[rows], ids.shape[1]).reshape(ids.shape)
        truth_track = np.where(ids >= 0, self._tracks[np.clip(ids, 0, None)], -1)
        known = (truth_user >= 0) & (truth_track >= 0)
        values = np.zeros(ids.shape)
        if known.any():
            values[known] = self._truth.finish_probability(truth_user[known], truth_track[known])
        counts = known.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, values.sum(axis=1) / counts, np.nan)

    def mean(self, users: npt.ArrayLike, recommended: npt.ArrayLike) -> float:
        """satisfaction@k over ``users`` (k = the width of ``recommended``)."""
        values = self.per_user(users, recommended)
        finite = values[~np.isnan(values)]
        return float(finite.mean()) if len(finite) else float("nan")
