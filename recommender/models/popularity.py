"""The popularity model: what everyone plays lately, weighted by how fully they play it.

A track's score is the sum over its plays of the play's confidence (finished 1.0, stopped by
share played, skipped small) times ``0.5 ** (age / half_life)``, ages measured from the
newest play in the data, not the wall clock, so a refit on the same data gives the same
model. Same contract as the other models: ``fit``, batch ``recommend``, ``save``/``load``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recommender.data.interactions import Interactions, ItemSets
from recommender.storage.recommendations import context_key

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]
Exclude = ItemSets | Sequence[Collection[int]] | None

_DAY_S = 86_400.0
_CELLS_PER_BATCH = 4_000_000  # users x candidates per vectorised step


class NotFittedError(RuntimeError):
    """``recommend`` or ``save`` was called before ``fit`` or ``load``."""


class PopularityModel:
    """Ranks tracks by time-decayed, confidence-weighted play counts; not personal."""

    name = "popularity"
    version = "popularity.v1"

    def __init__(self, half_life_days: float = 30.0) -> None:
        if half_life_days <= 0:
            raise ValueError("half_life_days must be positive")
        self.half_life_days = half_life_days
        self.track_ids: StrArray = np.array([], dtype=np.str_)
        self.scores: FloatArray = np.array([], dtype=np.float64)
        self.reference_time: float | None = None

    def fit(self, interactions: Interactions) -> PopularityModel:
        """Score every track of the vocabulary; tracks never played score 0."""
        self.track_ids = interactions.track_ids
        if len(interactions):
            self.reference_time = float(interactions.event_time.max())
            age_days = (self.reference_time - interactions.event_time) / _DAY_S
            weight = interactions.confidence * 0.5 ** (age_days / self.half_life_days)
        else:
            self.reference_time, weight = 0.0, np.array([], dtype=np.float64)
        self.scores = np.bincount(
            interactions.track_idx, weights=weight, minlength=len(self.track_ids)
        ).astype(np.float64)
        return self

    def recommend(
        self,
        user_ids: npt.ArrayLike,
        n: int,
        *,
        exclude: Exclude = None,
        filter_items: npt.ArrayLike | None = None,
        items: npt.ArrayLike | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """Top ``n`` track indices and scores per requested user, best first.

        ``exclude`` holds one set of track indices per requested user, aligned with
        ``user_ids`` (e.g. what each has heard); ``filter_items`` are removed for everyone;
        ``items`` restricts candidates. Only tracks with a positive score are candidates.
        Rows with fewer than ``n`` candidates are padded with index -1 and score NaN.
        """
        users = np.asarray(user_ids)
        ranked = self._ranked(filter_items, items)
        sets = _as_item_sets(exclude, len(users))
        out_ids = np.full((len(users), n), -1, dtype=np.int64)
        out_scores = np.full((len(users), n), np.nan)
        if not len(users) or not len(ranked) or n <= 0:
            return out_ids, out_scores
        position = np.full(len(self.track_ids), -1, dtype=np.int64)
        position[ranked] = np.arange(len(ranked))
        longest = int(sets.lengths().max(initial=0)) if sets is not None else 0
        # Enough candidates that n survive even if every excluded item ranks on top.
        depth = min(len(ranked), n + longest)
        batch = max(1, _CELLS_PER_BATCH // depth)
        for start in range(0, len(users), batch):
            stop = min(len(users), start + batch)
            blocked = np.zeros((stop - start, depth), dtype=bool)
            if sets is not None:
                rows = sets.take(np.arange(start, stop))
                row_of = np.repeat(np.arange(stop - start), rows.lengths())
                column = position[rows.indices]
                keep = (column >= 0) & (column < depth)
                blocked[row_of[keep], column[keep]] = True
            # Stable sort puts unblocked candidates first, still in rank order.
            pick = np.argsort(blocked, axis=1, kind="stable")[:, :n]
            valid = ~np.take_along_axis(blocked, pick, axis=1)
            chosen = ranked[:depth][pick]
            width = pick.shape[1]
            out_ids[start:stop, :width] = np.where(valid, chosen, -1)
            out_scores[start:stop, :width] = np.where(valid, self.scores[chosen], np.nan)
        return out_ids, out_scores

    def charts(
        self,
        contexts: Mapping[str, npt.ArrayLike],
        n: int,
        *,
        filter_items: npt.ArrayLike | None = None,
    ) -> dict[str, tuple[IntArray, FloatArray]]:
        """Per context (``context_key`` → its track indices), the top ``n`` unpadded."""
        charts: dict[str, tuple[IntArray, FloatArray]] = {}
        for key, members in contexts.items():
            ids, scores = self.recommend([0], n, filter_items=filter_items, items=members)
            valid = ids[0] >= 0
            charts[key] = (ids[0][valid], scores[0][valid])
        return charts

    def save(self, path: Path) -> None:
        """Write ``model.npz`` and ``meta.json`` into the directory ``path``."""
        self._require_fitted()
        path.mkdir(parents=True, exist_ok=True)
        with (path / "model.npz").open("wb") as handle:
            np.savez(handle, track_ids=self.track_ids, scores=self.scores)
        meta = {
            "name": self.name,
            "version": self.version,
            "half_life_days": self.half_life_days,
            "reference_time": self.reference_time,
            "tracks": len(self.track_ids),
        }
        (path / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")

    @classmethod
    def load(cls, path: Path) -> PopularityModel:
        meta = json.loads((path / "meta.json").read_text())
        if meta.get("version") != cls.version:
            raise ValueError(f"{path} holds {meta.get('version')!r}, not {cls.version!r}")
        model = cls(half_life_days=float(meta["half_life_days"]))
        with np.load(path / "model.npz", allow_pickle=False) as data:
            model.track_ids = data["track_ids"]
            model.scores = data["scores"]
        model.reference_time = meta["reference_time"]
        return model

    def _require_fitted(self) -> None:
        if self.reference_time is None:
            raise NotFittedError("fit or load the popularity model first")

    def _ranked(self, filter_items: npt.ArrayLike | None, items: npt.ArrayLike | None) -> IntArray:
        """Candidate track indices by score descending (ties by index)."""
        self._require_fitted()
        allowed = self.scores > 0
        if items is not None:
            subset = np.zeros_like(allowed)
            subset[np.asarray(items, dtype=np.int64)] = True
            allowed &= subset
        if filter_items is not None:
            allowed[np.asarray(filter_items, dtype=np.int64)] = False
        candidates = np.flatnonzero(allowed)
        order = np.lexsort((candidates, -self.scores[candidates]))
        return candidates[order].astype(np.int64)


def chart_contexts(
    genres: Sequence[str | None], moods: Sequence[Sequence[str]]
) -> dict[str, IntArray]:
    """Track indices per store context: ``all``, ``mood:<m>``, ``genre:<g>``."""
    groups: dict[str, list[int]] = {context_key(): list(range(len(genres)))}
    for index, (genre, track_moods) in enumerate(zip(genres, moods, strict=True)):
        if genre:
            groups.setdefault(context_key(genre=genre), []).append(index)
        for mood in track_moods:
            groups.setdefault(context_key(mood=mood), []).append(index)
    return {key: np.asarray(members, dtype=np.int64) for key, members in sorted(groups.items())}


def _as_item_sets(exclude: Exclude, n_users: int) -> ItemSets | None:
    if exclude is None:
        return None
    sets = exclude if isinstance(exclude, ItemSets) else ItemSets.from_sets(exclude)
    if len(sets) != n_users:
        raise ValueError(f"exclude has {len(sets)} rows for {n_users} users")
    return sets
