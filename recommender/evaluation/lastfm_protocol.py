"""The Last.fm HetRec 2011 protocol: users with at least 5 artists, 20% of each user's artists
held out at random (seeded), every model ranking all artists with the user's training artists
excluded, binary relevance, metrics at k=10.

``BEST_MODEL`` is Philomath's best model on it: a blend of EASE (over artists that at least 5
training users have, on tf-idf weighted plays: ``plays ** 0.25 * idf``, rows at unit norm) and
iALS, tuned with Optuna on cross-validation folds of the training data. Measured figures, and
the variants that lost, are in BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recommender.data.lastfm import load_lastfm
from recommender.evaluation.protocol import ModelFactory, ModelResult, evaluate_split
from recommender.evaluation.splits import Split, holdout_split, keep_users_with
from recommender.models.blend import BlendModel
from recommender.models.ease import EASEModel
from recommender.models.ials import IALSModel
from recommender.models.itemknn import ItemKNNModel
from recommender.models.most_popular import MostPopularModel
from recommender.models.rp3beta import RP3BetaModel

MIN_ARTISTS = 5
HOLDOUT_FRACTION = 0.2
BEST_MODEL = "blend"


def ease_tfidf(seed: int = 0) -> EASEModel:
    """EASE on tf-idf weighted plays over artists with 3+ users (parameters set by hand)."""
    return EASEModel(l2=5.0, min_users=3, weighting="tfidf", tf_power=0.3)


def blend_model(seed: int = 0) -> BlendModel:
    """EASE-tfidf (artists with 5+ users) with 40% of a 32-factor iALS.

    Parameters from ``recommender.tuning.tune(train, "blend", n_trials=20, folds=3, seed=0)``
    on seed 0's training split: chosen on cross-validation folds, never on a test split.
    """
    ease = EASEModel(l2=5.8, min_users=5, weighting="tfidf", tf_power=0.25)
    return BlendModel([ease, IALSModel(factors=32, seed=seed)], weights=[0.6, 0.4])


# Labels in report order. ``ease-full`` is the reference EASE (lambda 250, every artist):
# minutes to fit, so it runs only when asked for by name.
MODELS: dict[str, ModelFactory] = {
    "popularity": lambda seed: MostPopularModel(),
    "itemknn": lambda seed: ItemKNNModel(k=100),
    "ials": lambda seed: IALSModel(factors=128, seed=seed),
    "rp3beta": lambda seed: RP3BetaModel(),
    "ease-tfidf": ease_tfidf,
    "blend": blend_model,
    "ease-full": lambda seed: EASEModel(l2=250.0),
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


def select_models(labels: Sequence[str] | None) -> dict[str, ModelFactory]:
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
    """Run the protocol on the HetRec 2011 files in ``data_dir`` with one seed."""
    factories = models if isinstance(models, Mapping) else select_models(models)
    split = protocol_split(data_dir, seed)
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
    user_items, _ = keep_users_with(load_lastfm(data_dir).user_items, MIN_ARTISTS)
    return holdout_split(user_items, HOLDOUT_FRACTION, seed)
