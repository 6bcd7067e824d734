"""Each model's arithmetic against a direct computation on a tiny matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.models.base import top_n
from recommender.models.blend import BlendModel
from recommender.models.ease import EASEModel
from recommender.models.itemknn import ItemKNNModel
from recommender.models.neighbours import top_k_product
from recommender.models.popularity import MostPopularModel
from recommender.models.rp3beta import RP3BetaModel
from recommender.models.weighting import Weighting

# 4 users x 5 items; item 4 has a single user.
PLAYS = np.array(
    [
        [5.0, 1.0, 0.0, 2.0, 0.0],
        [0.0, 3.0, 1.0, 0.0, 0.0],
        [1.0, 0.0, 4.0, 1.0, 0.0],
        [2.0, 2.0, 0.0, 0.0, 9.0],
    ]
)
X = sp.csr_matrix(PLAYS)
BINARY = (PLAYS > 0).astype(float)


def test_top_n_breaks_ties_by_lower_id_and_pads_unrankable_items() -> None:
    scores = np.array([[0.5, 0.9, 0.5, -np.inf, 0.5], [-np.inf, -np.inf, 1.0, -np.inf, -np.inf]])
    ids, best = top_n(scores, 4)
    assert ids.tolist() == [[1, 0, 2, 4], [2, -1, -1, -1]]
    assert best[0].tolist() == [0.9, 0.5, 0.5, 0.5]
    assert best[1][0] == 1.0 and np.isnan(best[1][1:]).all()


def test_top_n_keeps_the_lower_ids_of_the_scores_tied_at_the_cut() -> None:
    # 200 items tied at 0.0 behind one better one: the cut falls inside the tie.
    scores = np.zeros((3, 201))
    scores[:, 150] = 1.0
    scores[1, 1] = np.nan  # never ranked, as -inf
    scores[2, :100] = -np.inf
    ids, best = top_n(scores, 4)
    assert ids.tolist() == [[150, 0, 1, 2], [150, 0, 2, 3], [150, 100, 101, 102]]
    assert best.tolist() == [[1.0, 0.0, 0.0, 0.0]] * 3
    ids, _ = top_n(np.where(np.arange(201) < 199, -np.inf, 0.0)[None, :], 4)
    assert ids.tolist() == [[199, 200, -1, -1]]


def test_top_n_equals_a_full_stable_sort_on_random_ties() -> None:
    rng = np.random.default_rng(1)
    for _ in range(100):
        rows, columns = (int(size) for size in rng.integers(1, 40, 2))
        scores = rng.integers(0, 4, (rows, columns)).astype(float)
        scores[rng.random((rows, columns)) < 0.2] = -np.inf
        n = int(rng.integers(1, columns + 3))
        order = np.argsort(-scores, axis=1, kind="stable")[:, :n]
        ranked = np.isfinite(np.take_along_axis(scores, order, axis=1))
        expected = np.full((rows, n), -1)
        expected[:, : order.shape[1]] = np.where(ranked, order, -1)
        np.testing.assert_array_equal(top_n(scores, n)[0], expected)


def test_tfidf_weighting_by_hand() -> None:
    weighting = Weighting("tfidf", tf_power=0.5).fit(X)
    idf = np.log(4) - np.log1p(BINARY.sum(axis=0))
    raw = np.sqrt(PLAYS) * idf
    expected = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    np.testing.assert_allclose(weighting.apply(X).toarray(), expected)
    np.testing.assert_allclose(Weighting("log1p").apply(X).toarray(), np.log1p(PLAYS))
    np.testing.assert_array_equal(Weighting("binary").apply(X).toarray(), BINARY)
    with pytest.raises(ValueError, match="unknown weighting"):
        Weighting("bm25")  # type: ignore[arg-type]


def test_most_popular_counts_users_not_plays() -> None:
    model = MostPopularModel().fit(X)
    ids, scores = model.recommend([0], sp.csr_matrix((1, 5)), n=5)
    # Users per item: 3, 3, 2, 2, 1 (item 4 has the most plays but one user).
    assert ids[0].tolist() == [0, 1, 2, 3, 4]
    assert scores[0].tolist() == [3.0, 3.0, 2.0, 2.0, 1.0]


def test_top_k_product_drops_the_diagonal_and_keeps_the_largest() -> None:
    similarity = sp.csr_matrix(np.array([[9.0, 1.0, 3.0, 2.0], [1.0, 9.0, 0.0, 1.0], [0, 0, 9, 0]]))
    kept = top_k_product(similarity, sp.identity(4, format="csr"), 2).toarray()
    assert kept.tolist() == [[0, 0, 3, 2], [1, 0, 0, 1], [0, 0, 0, 0]]


def test_itemknn_scores_are_sums_of_cosine_similarities() -> None:
    model = ItemKNNModel(k=10).fit(X)
    norms = np.linalg.norm(BINARY, axis=0)
    cosine = BINARY.T @ BINARY / np.outer(norms, norms)
    np.fill_diagonal(cosine, 0)
    np.testing.assert_allclose(model.similarity.toarray(), cosine)
    _, scores = model.recommend([1], X[[1]], n=1)
    expected = BINARY[1] @ cosine
    expected[BINARY[1] > 0] = -np.inf
    assert scores[0][0] == pytest.approx(expected.max())


def test_itemknn_keeps_k_neighbours_per_item() -> None:
    model = ItemKNNModel(k=1).fit(X)
    assert np.diff(model.similarity.indptr).max() == 1


def test_ease_weights_match_the_closed_form() -> None:
    model = EASEModel(l2=2.0).fit(X)
    precision = np.linalg.inv(BINARY.T @ BINARY + 2.0 * np.eye(5))
    expected = np.eye(5) - precision / np.diag(precision)
    np.testing.assert_allclose(model.weights, expected, atol=1e-6)


def test_ease_learns_and_recommends_only_items_with_enough_users() -> None:
    model = EASEModel(l2=2.0, min_users=2).fit(X)
    assert model.items.tolist() == [0, 1, 2, 3]
    ids, _ = model.recommend(np.arange(4), X, n=5)
    assert 4 not in ids
    sub = BINARY[:, :4]
    precision = np.linalg.inv(sub.T @ sub + 2.0 * np.eye(4))
    np.testing.assert_allclose(model.weights, np.eye(4) - precision / np.diag(precision), atol=1e-6)


def test_rp3beta_is_a_normalised_random_walk_with_popularity_penalty() -> None:
    model = RP3BetaModel(alpha=1.0, beta=0.5, k=10, weighting="binary").fit(X)
    user_to_item = BINARY / BINARY.sum(axis=1, keepdims=True)
    item_to_user = BINARY.T / BINARY.T.sum(axis=1, keepdims=True)
    walk = item_to_user @ user_to_item / BINARY.sum(axis=0) ** 0.5
    np.fill_diagonal(walk, 0)
    walk /= walk.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.similarity.toarray(), walk)


def test_blend_with_one_weight_ranks_like_its_component(tmp_path: Path) -> None:
    users = np.arange(4)
    alone = EASEModel(l2=2.0).fit(X).recommend(users, X, n=3)[0]
    blend = BlendModel([EASEModel(l2=2.0), RP3BetaModel(k=3)], weights=[1.0, 0.0]).fit(X)
    np.testing.assert_array_equal(blend.recommend(users, X, n=3)[0], alone)
    blend.save(tmp_path / "blend")
    assert (tmp_path / "blend" / "component_0" / "meta.json").exists()
    with pytest.raises(ValueError, match="one weight per component"):
        BlendModel([EASEModel()], weights=[0.5, 0.5])
