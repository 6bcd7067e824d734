"""iALS's approximate candidates on a large catalog (``models.ann``): an HNSW index over the
item factors finds nearly every exact top-k item, never a played or banned one, only above
the threshold; with the popular head it is exact wherever the exact list lies in the head or
within the index's reach; without faiss, only a model that asks for the index fails, in one
line."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

import recommender.batch.promoted_model as promoted_model
import recommender.models.ann as ann_module
from philomath.settings import Settings
from recommender.data.interactions import ItemSets
from recommender.data.sparse import user_items_matrix
from recommender.models.ann import AnnUnavailable, Retrieval
from recommender.models.head import CANDIDATE_ITEMS, LARGE_CATALOG_ITEMS, popular_head
from recommender.models.ials import IALSModel
from recommender.models.registry import ModelRegistry
from tests.unit.test_batch import _interactions, _register

N_ITEMS = 20_000
FACTORS = 16


def factor_model(n_users: int = 200, seed: int = 0) -> tuple[IALSModel, sp.csr_matrix]:
    """An iALS model with low-rank factors and a popularity skew, and its users' plays."""
    rng = np.random.default_rng(seed)
    model = IALSModel(factors=FACTORS)
    model.user_factors = rng.normal(size=(n_users, FACTORS)).astype(np.float32)
    popularity = 1.0 / np.sqrt(np.arange(1, N_ITEMS + 1))
    items = rng.normal(size=(N_ITEMS, FACTORS)) * popularity[:, None] * 10
    model.item_factors = items.astype(np.float32)
    model.n_items = N_ITEMS
    rows = np.repeat(np.arange(n_users), 30)
    cols = rng.choice(N_ITEMS, size=len(rows), p=popularity / popularity.sum())
    played = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_users, N_ITEMS))
    return model, played


def exact_and_ann(
    model: IALSModel, played: sp.csr_matrix, n: int, **kwargs: Any
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    users = np.arange(played.shape[0])
    model.retrieval = Retrieval(min_items=0)
    exact, _ = model.recommend(users, played, n=n, **kwargs)
    model.retrieval = Retrieval(min_items=N_ITEMS - 1, ef_search=512)
    model._forget_derived()
    approximate, _ = model.recommend(users, played, n=n, **kwargs)
    return exact, approximate


def recall(exact: np.ndarray[Any, Any], approximate: np.ndarray[Any, Any]) -> float:
    hits = sum(len(np.intersect1d(e, a)) for e, a in zip(exact, approximate, strict=True))
    return hits / exact.size


def test_ann_finds_nearly_every_exact_top_k_item() -> None:
    model, played = factor_model()
    exact, approximate = exact_and_ann(model, played, n=50)
    assert recall(exact, approximate) >= 0.95
    assert (approximate >= 0).all()


def test_ann_never_returns_played_or_banned_items() -> None:
    model, played = factor_model(seed=1)
    users = np.arange(played.shape[0])
    banned = np.arange(0, N_ITEMS, 7)  # many popular ones among them
    model.retrieval = Retrieval(min_items=1)
    ids, scores = model.recommend(users, played, n=100, filter_items=banned)
    for user in users:
        assert not np.intersect1d(ids[user], played[user].indices).size
    assert not np.isin(ids, banned).any()
    assert (ids >= 0).all() and np.isfinite(scores).all()
    assert (np.diff(scores, axis=1) <= 0).all()  # best first, scored exactly


def test_ann_scores_are_the_exact_scores_of_the_items_it_returns() -> None:
    model, played = factor_model(n_users=20)
    users = np.arange(20)
    model.retrieval = Retrieval(min_items=1)
    ids, scores = model.recommend(users, played, n=10)
    expected = np.einsum(
        "uf,ukf->uk", model.user_factors.astype(np.float64), model.item_factors[ids] * 1.0
    )
    np.testing.assert_allclose(scores, expected, rtol=1e-9)


def test_the_threshold_keeps_exact_scoring_at_or_below_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model, played = factor_model(n_users=10)
    built: list[int] = []
    real = ann_module.FactorIndex.__init__

    def counting(self: ann_module.FactorIndex, *args: Any) -> None:
        built.append(1)
        real(self, *args)

    monkeypatch.setattr(ann_module.FactorIndex, "__init__", counting)
    model.retrieval = Retrieval(min_items=N_ITEMS)
    model.recommend(np.arange(10), played, n=5)
    assert not built and not Retrieval(min_items=0).applies(10**9)
    assert not IALSModel().retrieval.applies(10**9)  # exact unless batch inference asks
    # Batch inference's default: the index joins the head where the head replaces exact scoring.
    default = Settings.model_fields["ann_min_items"].default
    assert default == Retrieval().min_items == LARGE_CATALOG_ITEMS
    model.retrieval = Retrieval(min_items=N_ITEMS - 1)
    model.recommend(np.arange(10), played, n=5)
    assert built == [1]


def test_without_faiss_only_ann_fails_and_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_faiss(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "faiss":
            raise ImportError("No module named 'faiss'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    model, played = factor_model(n_users=5)
    model.retrieval = Retrieval(min_items=N_ITEMS)
    ids, _ = model.recommend(np.arange(5), played, n=5)  # exact: faiss is not needed
    assert (ids >= 0).all()
    model.retrieval = Retrieval(min_items=1)
    with pytest.raises(AnnUnavailable, match="PHILOMATH_ANN_MIN_ITEMS=0") as raised:
        model.recommend(np.arange(5), played, n=5)
    assert "\n" not in str(raised.value)


def test_batch_inference_s_ials_retrieves_from_the_whole_catalog_above_the_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plays = _interactions()
    head = np.arange(3, dtype=np.int64)
    monkeypatch.setattr(promoted_model, "candidate_items", lambda user_items: head)
    model = IALSModel(factors=4, iterations=3, num_threads=1).fit(user_items_matrix(plays))
    registry = ModelRegistry(tmp_path)
    _register(registry, plays, model, "r1")
    registry.promote("ials.v1", "r1")
    n_tracks = len(plays.track_ids)

    above = promoted_model.load_promoted_model(tmp_path, plays, Retrieval(min_items=1))
    assert isinstance(above.model, IALSModel) and above.model.retrieval.min_items == 1
    assert above._candidates is None  # the index ranks every track, with the popular head
    expected_head = popular_head(user_items_matrix(plays), CANDIDATE_ITEMS)
    assert above.model.head is not None
    np.testing.assert_array_equal(above.model.head, expected_head)

    below = promoted_model.load_promoted_model(tmp_path, plays, Retrieval(min_items=n_tracks))
    assert below._candidates is head  # a large catalog's popular head, as before
    ids, _ = below.top(np.arange(2), 5, ItemSets.from_sets([set(), set()]))
    assert set(ids[ids >= 0].tolist()) <= set(head.tolist())


def exact_top(model: IALSModel, played: sp.csr_matrix, n: int) -> tuple[Any, Any]:
    model.retrieval, model.head = Retrieval(min_items=0), None
    return model.recommend(np.arange(played.shape[0]), played, n=n)


def union_top(
    model: IALSModel, played: sp.csr_matrix, n: int, head: Any, retrieval: Retrieval
) -> tuple[Any, Any]:
    model.retrieval, model.head = retrieval, None if head is None else np.sort(head)
    model._forget_derived()
    return model.recommend(np.arange(played.shape[0]), played, n=n)


# An index too sparse to find most of the exact top 10 (M 2, search breadth 10).
WEAK = Retrieval(min_items=1, candidates=10, ef_search=10, links=2, ef_construction=10)


def test_the_union_is_exact_when_the_exact_top_n_lies_in_the_head() -> None:
    model, played = factor_model(n_users=50, seed=2)
    exact, exact_scores = exact_top(model, played, n=10)
    rest = np.setdiff1d(np.arange(N_ITEMS), exact)
    head = np.concatenate([np.unique(exact), rest[:1_000]])
    alone, _ = union_top(model, played, 10, None, WEAK)
    assert recall(exact, alone) < 0.9  # the index alone misses much of it
    ids, scores = union_top(model, played, 10, head, WEAK)
    np.testing.assert_array_equal(ids, exact)
    np.testing.assert_allclose(scores, exact_scores, rtol=1e-9)


def test_the_union_is_exact_when_the_exact_top_n_lies_outside_the_head_but_within_reach() -> None:
    model, played = factor_model(n_users=50, seed=3)
    exact, exact_scores = exact_top(model, played, n=10)
    head = np.setdiff1d(np.arange(N_ITEMS), exact)[:5_000]  # none of the exact top 10
    thorough = Retrieval(min_items=1, candidates=1_000, ef_search=1_000)
    ids, scores = union_top(model, played, 10, head, thorough)
    np.testing.assert_array_equal(ids, exact)
    np.testing.assert_allclose(scores, exact_scores, rtol=1e-9)
    head_alone, _ = model._scored(
        np.arange(50), played, 10, True, np.isin(np.arange(N_ITEMS), head)
    )
    assert recall(exact, head_alone) == 0  # the head alone finds none of it


def test_the_union_counts_an_item_in_both_lists_once() -> None:
    first = (np.array([[5, 3, -1]]), np.array([[9.0, 4.0, np.nan]]))
    second = (np.array([[3, 7, 5]]), np.array([[4.0, 4.0, 9.0]]))
    ids, scores = ann_module.union_top_n(first, second, 3)
    assert ids.tolist() == [[5, 3, 7]]  # ties by lower id
    assert scores.tolist() == [[9.0, 4.0, 4.0]]
