"""The popularity family: what many listeners play, the same list for everyone (charts) or
within the listener's genres or moods.

Not personal (``_shared_scores``: ranked once for everyone):

- ``MostPopularModel`` (``mostpopular.v1``): an item's training users; the contract's baseline.
- ``TrendingModel`` (``trending.v1``): the same, each user counting ``0.5 ** (age /
  half_life)``, ``age`` from ``times``, when the user took up the item.
- ``PopularityModel`` (``popularity.v1``): the charts' model, served when nothing is promoted.
  Each *play* of the play log counts its confidence (finished 1.0, stopped by share played,
  skipped small) times ``0.5 ** (age / half_life)``.

Ages are measured from the newest time in the training data, not the wall clock, so a refit
on the same data gives the same model. Items nobody has are never ranked.

Personal (popularity within the user's facets):

- ``GenrePopularityModel`` (``genrepop.v1``) and ``MoodPopularityModel`` (``moodpop.v1``): each
  item has weights over facets (a track's genre, an artist's genre votes from its tags), scaled
  to sum to 1 per item. An item's score for a user is its popularity (training users who have
  it) times ``affinity + prior``, affinity being how much of the user's listening lies in the
  item's facets: popular items of the user's genres first, then, by ``prior``, the rest of the
  chart (items with no known facet included). The two differ only in name, so the model
  registry and reports say which facet a saved model ranks by.

Side data comes with the constructor (``times``, the play log, the items x facets matrix);
what ``recommend`` needs is saved in ``model.npz``, so a loaded model needs none of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from recommender.data.interactions import Interactions
from recommender.data.sparse import row_normalized
from recommender.models.base import (
    Arrays,
    FloatArray,
    IntArray,
    ScoringModel,
    aligned_times,
    in_sorted,
    sparse_restore,
    sparse_state,
)
from recommender.models.weighting import Weighting

_DAY_S = 86_400.0


def _decay(age_s: FloatArray, half_life_days: float) -> FloatArray:
    weight: FloatArray = 0.5 ** ((age_s / _DAY_S) / half_life_days)
    return weight


def _check_half_life(half_life_days: float) -> float:
    if half_life_days <= 0:
        raise ValueError("half_life_days must be positive")
    return float(half_life_days)


class MostPopularModel(ScoringModel):
    """Scores an item by how many training users have it."""

    name = "mostpopular"
    version = "mostpopular.v1"

    def __init__(self) -> None:
        super().__init__()
        self.item_scores: FloatArray = np.zeros(0)

    def _fit(self, user_items: sp.csr_matrix) -> None:
        counts = np.bincount(user_items.indices, minlength=user_items.shape[1])
        self.item_scores = np.where(counts > 0, counts, -np.inf).astype(np.float64)

    def _shared_scores(self) -> FloatArray:
        return self.item_scores

    def _scores(
        self, user_ids: IntArray, user_items: sp.csr_matrix, columns: IntArray | None = None
    ) -> FloatArray:
        shared = self.item_scores if columns is None else self.item_scores[columns]
        return np.tile(shared, (len(user_ids), 1))

    def _params(self) -> dict[str, Any]:
        return {}

    def _state(self) -> Arrays:
        return {"item_scores": self.item_scores}

    def _restore(self, arrays: Arrays) -> None:
        self.item_scores = arrays["item_scores"]


class TrendingModel(MostPopularModel):
    """Scores an item by its training users, each decayed by when they took it up.

    ``times`` (users x items, epoch seconds, the pattern of the data as in
    ``recommender.evaluation.splits``) says when each user took up each item.
    """

    name = "trending"
    version = "trending.v1"

    def __init__(
        self, times: sp.spmatrix | sp.sparray | None = None, half_life_days: float = 30.0
    ) -> None:
        super().__init__()
        self.half_life_days = _check_half_life(half_life_days)
        self.times = None if times is None else sp.csr_matrix(times, dtype=np.float64)

    def _fit(self, user_items: sp.csr_matrix) -> None:
        if self.times is None:
            raise ValueError("the trending model needs event times: TrendingModel(times)")
        taken_at = aligned_times(user_items, self.times)
        weight = _decay(taken_at.max(initial=0.0) - taken_at, self.half_life_days)
        decayed = np.bincount(user_items.indices, weights=weight, minlength=user_items.shape[1])
        counts = np.bincount(user_items.indices, minlength=user_items.shape[1])
        self.item_scores = np.where(counts > 0, decayed, -np.inf).astype(np.float64)

    def _params(self) -> dict[str, Any]:
        return {"half_life_days": self.half_life_days}


class PopularityModel(MostPopularModel):
    """Scores a track by its plays, each weighted by confidence and decayed by its age.

    ``plays`` is the play log over the same users and tracks as the matrix ``fit`` gets
    (``recommender.data.sparse.user_items_matrix(plays)`` builds it); only the plays of the
    (user, track) pairs the matrix holds count, so a model fitted on a holdout's training part
    never sees the held-out plays. Tracks whose plays sum to 0 are not ranked.
    """

    name = "popularity"
    version = "popularity.v1"

    def __init__(self, plays: Interactions | None = None, half_life_days: float = 30.0) -> None:
        super().__init__()
        self.half_life_days = _check_half_life(half_life_days)
        self.plays = plays
        self.reference_time = 0.0  # the newest play counted: ages are measured from it

    def _fit(self, user_items: sp.csr_matrix) -> None:
        plays = self.plays
        if plays is None:
            raise ValueError("the popularity model needs the play log: PopularityModel(plays)")
        n_users, n_items = user_items.shape
        if (len(plays.user_ids), len(plays.track_ids)) != (n_users, n_items):
            raise ValueError(
                f"plays cover {len(plays.user_ids)} users x {len(plays.track_ids)} tracks, "
                f"user_items is {n_users} x {n_items}"
            )
        # Keys of the pairs, ascending: rows in order, indices sorted (``as_user_items``).
        pair_rows = np.repeat(np.arange(n_users), np.diff(user_items.indptr))
        pairs = pair_rows * n_items + user_items.indices
        held = in_sorted(plays.user_idx * n_items + plays.track_idx, pairs)
        times = plays.event_time[held]
        self.reference_time = float(times.max(initial=0.0))
        weight = plays.confidence[held] * _decay(self.reference_time - times, self.half_life_days)
        scores = np.bincount(plays.track_idx[held], weights=weight, minlength=n_items)
        self.item_scores = np.where(scores > 0, scores, -np.inf).astype(np.float64)

    def _params(self) -> dict[str, Any]:
        return {"half_life_days": self.half_life_days}

    def _state(self) -> Arrays:
        return {**super()._state(), "reference_time": np.asarray(self.reference_time)}

    def _restore(self, arrays: Arrays) -> None:
        super()._restore(arrays)
        self.reference_time = float(arrays["reference_time"])


class FacetPopularityModel(ScoringModel):
    """The shared scoring of the facet models; use a subclass, which names the facet."""

    def __init__(
        self, item_facets: sp.spmatrix | sp.sparray | None = None, prior: float = 0.05
    ) -> None:
        super().__init__()
        if prior < 0:
            raise ValueError("prior must be non-negative")
        self.prior = float(prior)
        self.item_facets = None if item_facets is None else sp.csr_matrix(item_facets)
        self.item_scores: FloatArray = np.zeros(0)
        self.facet_shares = sp.csr_matrix((0, 0))

    def _fit(self, user_items: sp.csr_matrix) -> None:
        if self.item_facets is None:
            raise ValueError(f"the {self.name} model needs item facets: {type(self).__name__}(m)")
        if self.item_facets.shape[0] != user_items.shape[1]:
            raise ValueError(
                f"item_facets has {self.item_facets.shape[0]} rows for {user_items.shape[1]} items"
            )
        if self.item_facets.nnz and self.item_facets.data.min() < 0:
            raise ValueError("item_facets must be non-negative")
        counts = np.bincount(user_items.indices, minlength=user_items.shape[1])
        self.item_scores = np.where(counts > 0, counts, -np.inf).astype(np.float64)
        self.facet_shares = row_normalized(sp.csr_matrix(self.item_facets, dtype=float), order=1)

    def _scores(
        self, user_ids: IntArray, user_items: sp.csr_matrix, columns: IntArray | None = None
    ) -> FloatArray:
        played = Weighting("binary").apply(user_items)
        profile = row_normalized(sp.csr_matrix(played @ self.facet_shares), order=1)
        shares = self.facet_shares if columns is None else self.facet_shares[columns]
        popular = self.item_scores if columns is None else self.item_scores[columns]
        affinity = np.asarray((profile @ shares.T).todense(), dtype=np.float64)
        scores: FloatArray = popular[None, :] * (affinity + self.prior)
        return scores

    def _params(self) -> dict[str, Any]:
        return {"prior": self.prior}

    def _state(self) -> Arrays:
        return {"item_scores": self.item_scores, **sparse_state("facets", self.facet_shares)}

    def _restore(self, arrays: Arrays) -> None:
        self.item_scores = arrays["item_scores"]
        self.facet_shares = sparse_restore("facets", arrays)


class GenrePopularityModel(FacetPopularityModel):
    name = "genrepop"
    version = "genrepop.v1"


class MoodPopularityModel(FacetPopularityModel):
    name = "moodpop"
    version = "moodpop.v1"
