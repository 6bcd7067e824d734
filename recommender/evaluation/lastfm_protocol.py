"""The Last.fm HetRec 2011 protocol: users with at least 5 artists, 20% of each user's artists
held out at random (seeded), every model ranking all artists with the user's training artists
excluded, binary relevance, metrics at k=10.

``BEST_MODEL`` is Philomath's best model on it: a blend of EASE (over artists that at least 5
training users have, on tf-idf weighted plays: ``plays ** 0.25 * idf``, rows at unit norm) and
iALS, tuned with Optuna on cross-validation folds of the training data. Measured figures, and
the variants that lost, are in BENCHMARKS.md.

Models that need more than the play matrix get it from ``ProtocolData``: the content model the
artists' tag counts, per-genre and per-mood popularity the votes of the tags that name a
genre or mood, trending the plays' proxy times (``recommender.data.datasets.lastfm``). No
model sees a held-out play: each fits ``split.train``, trending reads times only at its
entries, and the tags a test user gave one of their held-out artists are left out of the
artists' content.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import scipy.sparse as sp

from recommender.data.content_features import ItemFeatures
from recommender.data.datasets.lastfm import load_lastfm
from recommender.evaluation.protocol import ModelFactory, ModelResult, evaluate_split
from recommender.evaluation.splits import Split, holdout_split, keep_users_with
from recommender.models.base import Recommender
from recommender.models.blend import BlendModel
from recommender.models.content import ContentModel
from recommender.models.ease import EASEModel
from recommender.models.ials import IALSModel
from recommender.models.itemknn import ItemKNNModel
from recommender.models.popularity import (
    GenrePopularityModel,
    MoodPopularityModel,
    MostPopularModel,
    TrendingModel,
)
from recommender.models.rp3beta import RP3BetaModel

MIN_ARTISTS = 5
HOLDOUT_FRACTION = 0.2
BEST_MODEL = "blend"
TRENDING_HALF_LIFE_DAYS = 90.0


@dataclass(frozen=True, slots=True)
class ProtocolData:
    """The protocol's split and the side data of its users' artists (rows aligned)."""

    split: Split
    artist_features: ItemFeatures  # tags only; see ``LastfmData.artist_features``
    genre_votes: sp.csr_matrix  # artists x genres
    mood_votes: sp.csr_matrix  # artists x moods
    times: sp.csr_matrix  # users x artists, pattern of train + test, epoch seconds


LastfmFactory = Callable[[int, ProtocolData], Recommender]


def ease_tfidf(seed: int = 0) -> EASEModel:
    """EASE on tf-idf weighted plays over artists with 3+ users (parameters set by hand)."""
    return EASEModel(l2=5.0, min_users=3, weighting="tfidf", tf_power=0.3)


def blend_model(seed: int = 0) -> BlendModel:
    """EASE-tfidf (artists with 5+ users) with 40% of a 32-factor iALS.

    Parameters from
    ``recommender.offline.tuning.tune(train, "blend", n_trials=20, folds=3, seed=0)`` on seed
    0's training split: chosen on cross-validation folds, never on a test split.
    """
    ease = EASEModel(l2=5.8, min_users=5, weighting="tfidf", tf_power=0.25)
    return BlendModel([ease, IALSModel(factors=32, seed=seed)], weights=[0.6, 0.4])


# Labels in report order. ``ease-full`` is the reference EASE (lambda 250, every artist):
# minutes to fit, so it runs only when asked for by name.
MODELS: dict[str, LastfmFactory] = {
    "popularity": lambda seed, data: MostPopularModel(),
    "trending": lambda seed, data: TrendingModel(data.times, TRENDING_HALF_LIFE_DAYS),
    "genre-pop": lambda seed, data: GenrePopularityModel(data.genre_votes),
    "mood-pop": lambda seed, data: MoodPopularityModel(data.mood_votes),
    "content": lambda seed, data: ContentModel(data.artist_features),
    "itemknn": lambda seed, data: ItemKNNModel(k=100),
    "ials": lambda seed, data: IALSModel(factors=128, seed=seed),
    "rp3beta": lambda seed, data: RP3BetaModel(),
    "ease-tfidf": lambda seed, data: ease_tfidf(seed),
    "blend": lambda seed, data: blend_model(seed),
    "ease-full": lambda seed, data: EASEModel(l2=250.0),
}
DEFAULT_MODELS: tuple[str, ...] = tuple(label for label in MODELS if label != "ease-full")


@dataclass(frozen=True, slots=True)
class LastfmRun:
    """One run of the protocol: the data it saw and every model's result."""

    seed: int
    k: int
    users: int
    artists: int
    train_interactions: int
    test_interactions: int
    results: list[ModelResult]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": "lastfm-2k",
            "seed": self.seed,
            "k": self.k,
            "users": self.users,
            "artists": self.artists,
            "train_interactions": self.train_interactions,
            "test_interactions": self.test_interactions,
            "results": [result.as_dict() for result in self.results],
        }


def select_models(labels: Sequence[str] | None) -> dict[str, LastfmFactory]:
    """The factories of ``labels`` (default: every model but ``ease-full``), in that order."""
    chosen = DEFAULT_MODELS if labels is None else tuple(labels)
    unknown = [label for label in chosen if label not in MODELS]
    if unknown:
        raise KeyError(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")
    return {label: MODELS[label] for label in chosen}


def evaluate_lastfm(
    data_dir: Path,
    seed: int,
    models: Mapping[str, ModelFactory] | Sequence[str] | None = None,
    k: int = 10,
) -> LastfmRun:
    """Run the protocol on the HetRec 2011 files in ``data_dir`` with one seed.

    ``models`` are labels of ``MODELS`` (default ``DEFAULT_MODELS``), or factories
    ``seed -> Recommender`` by label for models that need only the play matrix."""
    data = protocol_data(data_dir, seed)
    split = data.split
    factories: Mapping[str, ModelFactory] = (
        models
        if isinstance(models, Mapping)
        else {
            label: partial(_bound, factory, data)
            for label, factory in select_models(models).items()
        }
    )
    return LastfmRun(
        seed=seed,
        k=k,
        users=split.train.shape[0],
        artists=split.train.shape[1],
        train_interactions=split.train.nnz,
        test_interactions=split.test.nnz,
        results=evaluate_split(split, factories, seed=seed, k=k),
    )


def protocol_split(data_dir: Path, seed: int) -> Split:
    """Users with ``MIN_ARTISTS``+ artists, ``HOLDOUT_FRACTION`` of each one's held out."""
    return protocol_data(data_dir, seed).split


def protocol_data(data_dir: Path, seed: int) -> ProtocolData:
    """``protocol_split`` with the artists' side data and the kept users' play times."""
    lastfm = load_lastfm(data_dir)
    user_items, users = keep_users_with(lastfm.user_items, MIN_ARTISTS)
    split = holdout_split(user_items, HOLDOUT_FRACTION, seed)
    content = lastfm.without_tags_on(split.test, users)
    return ProtocolData(
        split=split,
        artist_features=content.artist_features(),
        genre_votes=content.artist_genre_votes,
        mood_votes=content.artist_mood_votes,
        times=sp.csr_matrix(lastfm.user_artist_times[users]),
    )


def _bound(factory: LastfmFactory, data: ProtocolData, seed: int) -> Recommender:
    return factory(seed, data)
