"""The large-catalog path: evaluation on a seeded sample of listeners among candidate
tracks, models that score only the allowed items, item x item models on the popular head,
and the switch that turns it on above ``head.LARGE_CATALOG_ITEMS`` tracks. On a small
catalog, or a sample that covers everyone, every figure is what the dense path gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import recommender.data.content_features as content_module
import recommender.models.base as base_module
import recommender.models.neighbours as neighbours_module
from playback.catalog import Track
from recommender.batch.lists import ListSettings, newest
from recommender.batch.promoted_model import ModelLists
from recommender.data.content_features import most_similar
from recommender.data.interactions import ItemSets
from recommender.evaluation.protocol import evaluate_split, sample_users
from recommender.evaluation.splits import holdout_split
from recommender.models.ease import EASEModel
from recommender.models.head import (
    CANDIDATE_ITEMS,
    LARGE_CATALOG_ITEMS,
    NEIGHBOUR_ITEMS,
    candidate_items,
    neighbour_items,
    popular_head,
)
from recommender.models.ials import IALSModel
from recommender.models.itemknn import ItemKNNModel
from recommender.models.popularity import MostPopularModel
from recommender.models.rp3beta import RP3BetaModel
from recommender.models.zoo import load_model
from recommender.offline.training import (
    CANDIDATES,
    TrainingData,
    describe_scope,
    evaluation_scope,
    fitting_candidates,
)


def plays(n_users: int = 60, n_items: int = 80, seed: int = 0) -> sp.csr_matrix:
    """Listeners with a popularity skew: low item indices are played far more."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_items + 1)
    rows, cols = [], []
    for user in range(n_users):
        mine = rng.choice(
            n_items, size=int(rng.integers(3, 45)), replace=False, p=weights / weights.sum()
        )
        rows += [user] * len(mine)
        cols += mine.tolist()
    values = rng.integers(1, 9, len(rows)).astype(float)
    return sp.csr_matrix((values, (rows, cols)), shape=(n_users, n_items))


def wide(n_items: int) -> sp.csr_matrix:
    """Two listeners over ``n_items`` tracks (item 3 played by both): just a shape."""
    return sp.csr_matrix((np.ones(3), ([0, 1, 1], [3, 3, 5])), shape=(2, n_items))


# -- the popular head --------------------------------------------------------------------


def test_the_head_is_the_most_played_items_ties_by_lower_index_ascending() -> None:
    data = sp.csr_matrix((np.ones(7), ([0, 1, 2, 0, 1, 0, 2], [4, 4, 4, 1, 1, 3, 3])), shape=(3, 6))
    assert popular_head(data, 1).tolist() == [4]
    assert popular_head(data, 2).tolist() == [1, 4]  # 1 and 3 tie at two users: 1 first
    assert popular_head(data, 10).tolist() == list(range(6))


@pytest.mark.parametrize("model_class", [ItemKNNModel, RP3BetaModel])
def test_an_item_item_model_on_the_head_is_the_model_of_the_head_alone(
    model_class: type[ItemKNNModel] | type[RP3BetaModel], tmp_path: Path
) -> None:
    data = plays()
    head = popular_head(data, 15)
    users = np.arange(data.shape[0])
    on_head = model_class(max_items=15).fit(data)
    ids, scores = on_head.recommend(users, data, n=8)
    compact = sp.csr_matrix(data[:, head])  # the head as a catalog of its own
    want_ids, want_scores = model_class().fit(compact).recommend(users, compact, n=8)
    want_ids = np.where(want_ids >= 0, head[want_ids], -1)
    assert set(ids[ids >= 0].tolist()) <= set(head.tolist())
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores)
    on_head.save(tmp_path / "model")
    again = load_model(tmp_path / "model").recommend(users, data, n=8)
    np.testing.assert_array_equal(again[0], ids)


def test_the_large_path_starts_above_the_threshold() -> None:
    assert candidate_items(wide(LARGE_CATALOG_ITEMS)) is None
    assert neighbour_items(LARGE_CATALOG_ITEMS) is None
    kept = candidate_items(wide(LARGE_CATALOG_ITEMS + 1))
    assert kept is not None and len(kept) == CANDIDATE_ITEMS and {3, 5} <= set(kept.tolist())
    assert neighbour_items(LARGE_CATALOG_ITEMS + 1) == NEIGHBOUR_ITEMS


def test_training_skips_dense_blends_and_keeps_item_item_models_to_the_head() -> None:
    small = fitting_candidates(CANDIDATES, LARGE_CATALOG_ITEMS)
    assert [c.label for c in small] == [c.label for c in CANDIDATES]
    large = fitting_candidates(CANDIDATES, LARGE_CATALOG_ITEMS + 1)
    assert {c.label for c in CANDIDATES} - {c.label for c in large} == {"blend", "hybrid"}
    data = TrainingData(None, wide(6), Path("."))  # type: ignore[arg-type]
    by_label = {c.label: c for c in CANDIDATES}
    for label in ("itemknn", "rp3beta"):
        on_small = by_label[label].build(data, wide(LARGE_CATALOG_ITEMS), 0)
        on_large = by_label[label].build(data, wide(LARGE_CATALOG_ITEMS + 1), 0)
        assert isinstance(on_small, (ItemKNNModel, RP3BetaModel))
        assert isinstance(on_large, (ItemKNNModel, RP3BetaModel))
        assert (on_small.max_items, on_large.max_items) == (None, NEIGHBOUR_ITEMS)


# -- scoring only the allowed items -------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: EASEModel(l2=2.0, min_users=3),
        lambda: IALSModel(factors=4, iterations=5, num_threads=1),
        lambda: ItemKNNModel(k=10),
    ],
)
def test_top_k_among_candidates_in_chunks_equals_dense_top_k(
    make: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = plays()
    users = np.arange(data.shape[0])
    candidates = np.arange(0, 80, 3)
    model = make().fit(data)  # type: ignore[operator]
    dense = model._scores(users, data)
    dense[:, np.setdiff1d(np.arange(80), candidates)] = -np.inf
    rows = np.repeat(users, np.diff(data.indptr))
    dense[rows, data.indices] = -np.inf
    want_ids, want_scores = base_module.top_n(dense, 5)
    monkeypatch.setattr(base_module, "_CELLS_PER_BATCH", 30)  # a few users at a time
    ids, scores = model.recommend(users, data, n=5, items=candidates)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-6)


def test_batch_lists_keep_to_the_candidates() -> None:
    data = plays()
    candidates = np.array([1, 4, 6, 7, 20, 30])
    lists = ModelLists(ItemKNNModel(k=10).fit(data), data, candidates)
    users = np.arange(10)
    nothing = ItemSets.from_pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), len(users))
    ids, _ = lists.top(users, 4, nothing)
    assert set(ids[ids >= 0].tolist()) <= set(candidates.tolist())
    ids, _ = lists.top(users, 4, nothing, items=np.array([4, 5, 6]))
    assert set(ids[ids >= 0].tolist()) <= {4, 6}


def test_new_track_similarity_in_small_steps_equals_one_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    taste, candidates = rng.random((9, 4)), rng.random((25, 4))
    taste[2] = 0.0
    blocked = [[0, 1] if row % 2 else [] for row in range(9)]
    whole = most_similar(taste, candidates, 5, blocked)
    monkeypatch.setattr(content_module, "_CELLS_PER_STEP", 30)  # one taste row per step
    stepped = most_similar(taste, candidates, 5, blocked)
    np.testing.assert_array_equal(stepped[0], whole[0])
    np.testing.assert_allclose(stepped[1], whole[1], rtol=1e-12)  # GEMM shapes differ


# -- evaluation on a sample of listeners ---------------------------------------------------


def test_a_sample_is_seeded_sorted_and_everyone_when_small_enough() -> None:
    users = np.arange(100, 200)
    assert sample_users(users, 100, seed=1) is users
    drawn = sample_users(users, 30, seed=1)
    assert len(drawn) == 30 == len(set(drawn.tolist()))
    assert np.all(np.diff(drawn) > 0) and set(drawn.tolist()) <= set(users.tolist())
    np.testing.assert_array_equal(drawn, sample_users(users, 30, seed=1))
    assert drawn.tolist() != sample_users(users, 30, seed=2).tolist()


def test_evaluation_on_a_sample_covering_everyone_equals_full_evaluation() -> None:
    split = holdout_split(plays(), 0.3, seed=0)
    models = {"ease": lambda s: EASEModel(l2=2.0), "popularity": lambda s: MostPopularModel()}
    full = evaluate_split(split, models, seed=0)
    users, items = evaluation_scope(split, seed=0)
    assert items is None  # a small catalog: every item is a candidate
    scoped = evaluate_split(split, models, seed=0, users=users, items=items)
    every = np.arange(split.train.shape[1])
    candidates = evaluate_split(split, models, seed=0, items=every)
    for got in (scoped, candidates):
        # assert_equal: NaN (a segment without listeners) equals NaN
        np.testing.assert_equal([r.metrics for r in got], [r.metrics for r in full])
        np.testing.assert_equal([r.segments for r in got], [r.segments for r in full])


def test_evaluation_on_a_smaller_sample_measures_those_listeners() -> None:
    split = holdout_split(plays(), 0.3, seed=0)
    models = {"ease": lambda s: EASEModel(l2=2.0)}
    sample = sample_users(split.test_users(), 20, seed=4)
    result = evaluate_split(split, models, seed=0, users=sample)[0]
    assert sum(segment["users"] for segment in result.segments.values()) == 20
    assert result.metrics != evaluate_split(split, models, seed=0)[0].metrics


def test_a_similarity_in_blocks_of_rows_equals_the_whole_product(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = sp.csr_matrix(plays().T)
    users = sp.csr_matrix(plays())
    scale = np.linspace(0.5, 2.0, users.shape[1])
    whole = neighbours_module.top_k_product(items, users, 5, column_scale=scale)
    monkeypatch.setattr(neighbours_module, "_PRODUCT_CELLS", 100)  # one item row per block
    blocked = neighbours_module.top_k_product(items, users, 5, column_scale=scale)
    assert (blocked != whole).nnz == 0 and blocked.nnz == whole.nnz
    # Each row keeps its 5 largest off-diagonal entries of the product.
    product = (items @ users).toarray() * scale
    np.fill_diagonal(product, 0.0)
    kept = whole.toarray()
    for row in range(len(product)):
        assert np.count_nonzero(kept[row]) == min(5, np.count_nonzero(product[row]))
        fifth = np.sort(product[row])[::-1][4]
        assert kept[row][kept[row] > 0].min() >= fifth


def test_new_lists_choose_among_the_most_recently_released_unplayed_tracks() -> None:
    years = [2001, None, 2020, 2019, 2020, 1999]
    cold = [Track(f"t{i}", f"T{i}", "a", "A", release_year=year) for i, year in enumerate(years)]
    kept = newest(cold, ListSettings(new_candidates=3))
    assert [t.track_id for t in kept] == ["t2", "t3", "t4"]  # 2020, 2020, 2019: catalog order
    assert newest(cold, ListSettings(new_candidates=6)) == cold


def test_the_report_says_whose_figures_among_which_tracks() -> None:
    assert describe_scope(1_987, 1_987, None) == (
        "all 1,987 held-out listeners, each model ranking every track"
    )
    assert describe_scope(5_000, 49_729, np.arange(50_000)) == (
        "a seeded sample of 5,000 of the 49,729 held-out listeners, "
        "each model ranking the 50,000 most-listened tracks"
    )
