"""The shared suite every model runs (after implicit's recommender_base_test).

Each model class in the zoo gets a subclass of ``ModelContract`` that says how to build it;
the suite checks shapes, order, exclusion, candidate restriction, padding, persistence,
determinism and batching.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import recommender.models.base as base_module
from recommender.data.content_features import ItemFeatures
from recommender.data.interactions import Interactions
from recommender.models.base import (
    FoldInUnsupported,
    NotFittedError,
    Recommender,
    ScoringModel,
    history_rows,
)
from recommender.models.blend import BlendModel, HybridModel
from recommender.models.content import ContentModel
from recommender.models.ease import EASEModel
from recommender.models.ials import IALSModel
from recommender.models.itemknn import ItemKNNModel
from recommender.models.popularity import (
    GenrePopularityModel,
    MoodPopularityModel,
    MostPopularModel,
    PopularityModel,
    TrendingModel,
)
from recommender.models.rp3beta import RP3BetaModel
from recommender.models.zoo import MODEL_CLASSES, load_model, model_class


def taste_clusters() -> sp.csr_matrix:
    """12 users x 10 items: users 0-5 play items 0-4, users 6-11 play items 5-9, each user
    missing one item of their cluster; play counts vary so weightings matter."""
    rows, cols, plays = [], [], []
    for user in range(12):
        cluster = range(0, 5) if user < 6 else range(5, 10)
        for item in cluster:
            if item % 5 != user % 5:  # the cluster item this user has not heard
                rows.append(user)
                cols.append(item)
                plays.append(1 + (user * 7 + item * 3) % 11)
    return sp.csr_matrix((np.asarray(plays, float), (rows, cols)), shape=(12, 10))


def cluster_facets() -> sp.csr_matrix:
    """10 items x 3 facets: items 0-4 are facet 0, items 5-9 facet 1, item 9 also facet 2."""
    rows, cols = [*range(10), 9], [0] * 5 + [1] * 5 + [2]
    return sp.csr_matrix((np.ones(11), (rows, cols)), shape=(10, 3))


def cluster_features() -> ItemFeatures:
    """Genres by cluster, tags shared by neighbouring items, audio features for some."""
    tag_rows = [item for item in range(10) for _ in range(2)]
    tag_cols = [column for item in range(10) for column in (item // 2, 5 + (item + 1) // 2 % 5)]
    audio = np.full((10, 5), np.nan)
    audio[:5] = [0.3, 0.4, 100.0, 0.7, 0.4]
    return ItemFeatures.build(
        10,
        genres=cluster_facets()[:, :2],
        tags=sp.csr_matrix((np.ones(20), (tag_rows, tag_cols)), shape=(10, 10)),
        audio=audio,
    )


def cluster_times() -> sp.csr_matrix:
    """A time (epoch seconds) for every entry of ``taste_clusters``, spread over 20 days."""
    times = taste_clusters().tocoo()
    times.data = 1.7e9 + 86_400.0 * ((times.row * 5 + times.col * 3) % 20)
    return sp.csr_matrix(times)


def cluster_plays() -> Interactions:
    """A play log behind ``taste_clusters``: one play per entry at its ``cluster_times``
    time, confidence growing with the play count, in time order."""
    data, times = taste_clusters().tocoo(), cluster_times().tocoo()
    order = np.argsort(times.data, kind="stable")
    return Interactions(
        user_ids=np.array([f"u{i}" for i in range(12)]),
        track_ids=np.array([f"t{i}" for i in range(10)]),
        user_idx=data.row[order].astype(np.int64),
        track_idx=data.col[order].astype(np.int64),
        confidence=data.data[order] / 11.0,
        event_time=times.data[order],
        end_reason=np.zeros(len(order), dtype=np.int8),
    )


class ModelContract:
    """Subclasses define ``make`` (a fresh, unfitted model) and may set ``personal`` and
    ``transductive``."""

    personal = True  # recommends from the user's own history
    transductive = False  # scores known users by what it learnt of them (factors), not rows

    def make(self, seed: int = 0) -> Recommender:
        raise NotImplementedError

    def fitted(self, seed: int = 0) -> Recommender:
        return self.make(seed).fit(taste_clusters())

    def test_fit_returns_the_model_and_version_is_registered(self) -> None:
        model = self.make()
        assert model.fit(taste_clusters()) is model
        assert model.version.startswith(model.name + ".v")
        assert model_class(model.version) is type(model)

    def test_recommend_shapes_order_and_exclusion(self) -> None:
        data = taste_clusters()
        users = np.array([0, 3, 7, 11])
        ids, scores = self.fitted().recommend(users, data[users], n=3)
        assert ids.shape == scores.shape == (4, 3)
        assert ids.dtype == np.int64 and scores.dtype == np.float64
        for row, user in enumerate(users):
            valid = ids[row] >= 0
            assert valid[0], "every user has at least one candidate"
            assert len(set(ids[row][valid].tolist())) == int(valid.sum())
            assert not set(ids[row][valid].tolist()) & set(data[user].indices.tolist())
            assert np.all(np.diff(scores[row][valid]) <= 0)

    def test_personal_models_recommend_the_missing_cluster_item_first(self) -> None:
        if not self.personal:
            pytest.skip("not a personal model")
        data = taste_clusters()
        users = np.arange(12)
        ids, _ = self.fitted().recommend(users, data, n=1)
        missing = [(user % 5) + (0 if user < 6 else 5) for user in users]
        assert ids[:, 0].tolist() == missing

    def test_without_filter_liked_items_can_come_back(self) -> None:
        data = taste_clusters()
        ids, _ = self.fitted().recommend([0], data[[0]], n=10, filter_already_liked=False)
        assert set(ids[0].tolist()) & set(data[0].indices.tolist())

    def test_filter_items_and_items_restrict_candidates_without_reordering(self) -> None:
        data = taste_clusters()
        users = np.arange(12)
        items, banned = [0, 2, 3, 5, 8, 9], [3, 9]
        full_ids, full_scores = self.fitted().recommend(users, data, n=10)
        ids, scores = self.fitted().recommend(users, data, n=3, filter_items=banned, items=items)
        for row in range(12):
            kept = [
                column
                for column, item in enumerate(full_ids[row])
                if item in items and item not in banned
            ][:3]
            width = len(kept)
            assert ids[row][:width].tolist() == full_ids[row][kept].tolist()
            np.testing.assert_allclose(scores[row][:width], full_scores[row][kept], rtol=1e-9)
            assert ids[row][width:].tolist() == [-1] * (3 - width)

    def test_a_chart_model_ranks_once_as_it_would_per_user(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        model = self.fitted()
        assert isinstance(model, ScoringModel)
        if model._shared_scores() is None:
            pytest.skip("scores differ per user: ranked per user")
        data = taste_clusters()
        users = np.arange(12)
        for liked in (True, False):
            shared = model.recommend(users, data, n=6, filter_already_liked=liked, items=range(8))
            monkeypatch.setattr(model, "_shared_scores", lambda: None)
            per_user = model.recommend(users, data, n=6, filter_already_liked=liked, items=range(8))
            monkeypatch.undo()
            for got, want in zip(shared, per_user, strict=True):
                np.testing.assert_array_equal(got, want)

    def test_short_rows_are_padded(self) -> None:
        data = taste_clusters()
        ids, scores = self.fitted().recommend([0], data[[0]], n=12)
        assert ids.shape == (1, 12)
        valid = ids[0] >= 0
        assert valid.sum() <= 10 - data[0].nnz
        assert ids[0][~valid].tolist() == [-1] * int((~valid).sum())
        assert np.isnan(scores[0][~valid]).all()
        assert not np.isnan(scores[0][valid]).any()

    def test_save_load_round_trip_gives_identical_recommendations(self, tmp_path: Path) -> None:
        data = taste_clusters()
        model = self.fitted()
        model.save(tmp_path / "model")
        loaded = load_model(tmp_path / "model")
        assert type(loaded) is type(model)
        users = np.arange(12)
        for got, want in zip(
            loaded.recommend(users, data, n=5), model.recommend(users, data, n=5), strict=True
        ):
            np.testing.assert_array_equal(got, want)

    def test_load_refuses_another_models_directory(self, tmp_path: Path) -> None:
        other = EASEModel if not isinstance(self.make(), EASEModel) else ItemKNNModel
        other().fit(taste_clusters()).save(tmp_path / "other")
        with pytest.raises(ValueError, match="holds"):
            type(self.make()).load(tmp_path / "other")

    def test_same_seed_same_recommendations(self) -> None:
        data = taste_clusters()
        users = np.arange(12)
        first = self.fitted(seed=3).recommend(users, data, n=4)
        second = self.fitted(seed=3).recommend(users, data, n=4)
        for got, want in zip(first, second, strict=True):
            np.testing.assert_array_equal(got, want)

    def test_batching_does_not_change_results(self, monkeypatch: pytest.MonkeyPatch) -> None:
        data = taste_clusters()
        model = self.fitted()
        whole = model.recommend(np.arange(12), data, n=4)
        monkeypatch.setattr(base_module, "_CELLS_PER_BATCH", 1)  # one user per batch
        ids, scores = model.recommend(np.arange(12), data, n=4)
        np.testing.assert_array_equal(ids, whole[0])
        # BLAS may sum in another order for another batch shape: equal up to rounding.
        np.testing.assert_allclose(scores, whole[1], rtol=1e-5, atol=1e-7)

    def test_fold_in_serves_a_listener_the_model_never_saw(self) -> None:
        model = self.fitted()
        data = taste_clusters()
        if not self.personal:
            assert not model.supports_fold_in
            with pytest.raises(FoldInUnsupported):
                model.fold_in(data[[0]], n=3)
            return
        assert model.supports_fold_in
        # A newcomer with cluster 1's first items gets cluster 1's others, best first.
        newcomer = history_rows([([5, 6], None), ([0, 1, 2], [3.0, 1.0, 1.0])], 10)
        ids, scores = model.fold_in(newcomer, n=2)
        assert set(ids[0].tolist()) <= {7, 8, 9} and set(ids[1].tolist()) <= {3, 4}
        assert np.all(np.diff(scores, axis=1) <= 0)
        if not self.transductive:  # an item-based model: a row is all it ever needs
            users = np.arange(12)
            for got, want in zip(
                model.fold_in(data, n=4), model.recommend(users, data, n=4), strict=True
            ):
                np.testing.assert_allclose(got, want)

    def test_history_rows_are_checked(self) -> None:
        with pytest.raises(ValueError, match="history items"):
            history_rows([([10], None)], 10)
        with pytest.raises(ValueError, match="one weight per"):
            history_rows([([1, 2], [1.0])], 10)
        rows = history_rows([([1, 1, 3], None), ([], None)], 10)
        assert rows.shape == (2, 10) and rows[0, 1] == 2.0 and rows[1].nnz == 0

    def test_unfitted_model_and_misaligned_rows_are_refused(self) -> None:
        data = taste_clusters()
        with pytest.raises(NotFittedError):
            self.make().recommend([0], data[[0]], n=3)
        with pytest.raises(ValueError, match="one row per user"):
            self.fitted().recommend([0, 1], data[[0]], n=3)


class TestMostPopular(ModelContract):
    personal = False

    def make(self, seed: int = 0) -> Recommender:
        return MostPopularModel()


class TestTrending(ModelContract):
    personal = False

    def make(self, seed: int = 0) -> Recommender:
        return TrendingModel(cluster_times(), half_life_days=7.0)

    def test_recent_users_outweigh_more_but_older_ones(self) -> None:
        # Item 0: three users 100 days ago; item 1: two users today.
        data = sp.csr_matrix(np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1]], dtype=float))
        times = data.multiply(np.array([[0.0], [0.0], [0.0], [100.0], [100.0]]) * 86_400 + 1e9)
        model = TrendingModel(times, half_life_days=30.0).fit(data)
        ids, scores = model.recommend([0], sp.csr_matrix((1, 2)), n=2)
        assert ids.tolist() == [[1, 0]]
        assert scores[0].tolist() == pytest.approx([2.0, 3 * 0.5 ** (100 / 30)])
        # Without decay to speak of, the item with more users wins again.
        slow = TrendingModel(times, half_life_days=1e6).fit(data)
        assert slow.recommend([0], sp.csr_matrix((1, 2)), n=2)[0].tolist() == [[0, 1]]

    def test_every_entry_needs_a_time(self) -> None:
        times = cluster_times()
        times.data[0] = 0.0
        times.eliminate_zeros()
        with pytest.raises(ValueError, match="a time for every"):
            TrendingModel(times).fit(taste_clusters())
        with pytest.raises(ValueError, match="needs event times"):
            TrendingModel().fit(taste_clusters())


class TestPopularity(ModelContract):
    personal = False

    def make(self, seed: int = 0) -> Recommender:
        return PopularityModel(cluster_plays(), half_life_days=7.0)


class TestGenrePopularity(ModelContract):
    def make(self, seed: int = 0) -> Recommender:
        return GenrePopularityModel(cluster_facets(), prior=0.1)

    def test_the_users_genre_comes_before_more_popular_items_of_others(self) -> None:
        # Items 0-1 genre A, items 2-3 genre B; item 3 is the most popular overall.
        facets = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=float))
        data = sp.csr_matrix(
            np.array([[1, 1, 0, 0], [1, 0, 0, 1], [0, 0, 1, 1], [0, 0, 0, 1]], dtype=float)
        )
        model = GenrePopularityModel(facets, prior=0.05).fit(data)
        fan_of_a = sp.csr_matrix(np.array([[1, 0, 0, 0]], dtype=float))
        ids, _ = model.recommend([0], fan_of_a, n=3)
        assert ids.tolist() == [[1, 3, 2]]  # A's item first, then the chart by popularity
        with pytest.raises(ValueError, match="4 rows for 5 items"):
            GenrePopularityModel(facets).fit(sp.csr_matrix((2, 5)))


class TestMoodPopularity(ModelContract):
    def make(self, seed: int = 0) -> Recommender:
        return MoodPopularityModel(cluster_facets()[:, [1, 0, 2]])


class TestContent(ModelContract):
    def make(self, seed: int = 0) -> Recommender:
        return ContentModel(cluster_features())


class TestItemKNN(ModelContract):
    def make(self, seed: int = 0) -> Recommender:
        return ItemKNNModel(k=3, weighting="log1p")


class TestIALS(ModelContract):
    transductive = True

    def make(self, seed: int = 0) -> Recommender:
        return IALSModel(factors=2, iterations=10, seed=seed, num_threads=1)

    def test_folded_factors_are_implicits_recalculated_user(self) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        model = IALSModel(factors=3, alpha=2.0, regularization=0.1, num_threads=1)
        model.fit(taste_clusters())
        row = history_rows([([5, 6, 8], [4.0, 1.0, 2.0])], 10)
        als = AlternatingLeastSquares(factors=3, alpha=2.0, regularization=0.1)
        als.item_factors = model.item_factors
        als.user_factors = model.user_factors
        weighted = model.weighting.apply(row).astype(np.float32)
        expected = als.recalculate_user(0, weighted)  # implicit applies alpha itself
        np.testing.assert_allclose(model._folded_factors(row), expected, rtol=1e-4, atol=1e-5)

    def test_unknown_users_are_refused(self) -> None:
        data = taste_clusters()
        with pytest.raises(ValueError, match="knows users"):
            self.fitted().recommend([12], data[[0]], n=3)


class TestEASE(ModelContract):
    def make(self, seed: int = 0) -> Recommender:
        return EASEModel(l2=1.0, min_users=2, weighting="tfidf", tf_power=0.3)


class TestRP3Beta(ModelContract):
    def make(self, seed: int = 0) -> Recommender:
        return RP3BetaModel(alpha=1.0, beta=0.2, k=5)


class TestBlend(ModelContract):
    def make(self, seed: int = 0) -> Recommender:
        return BlendModel([EASEModel(l2=1.0), RP3BetaModel(k=5)], weights=[0.7, 0.3])


class TestHybrid(ModelContract):
    def make(self, seed: int = 0) -> Recommender:
        return HybridModel([EASEModel(l2=1.0), ContentModel(cluster_features())], [0.8, 0.2])


def test_every_registered_model_has_a_contract_suite() -> None:
    suites = {
        type(suite().make()).version
        for suite in (
            TestMostPopular,
            TestTrending,
            TestPopularity,
            TestGenrePopularity,
            TestMoodPopularity,
            TestContent,
            TestItemKNN,
            TestIALS,
            TestEASE,
            TestRP3Beta,
            TestBlend,
            TestHybrid,
        )
    }
    assert suites == set(MODEL_CLASSES)
    with pytest.raises(KeyError, match="known"):
        model_class("nope.v1")


def test_two_models_cannot_share_a_versioned_name() -> None:
    with pytest.raises(TypeError, match="are both ease.v1"):

        class Impostor(EASEModel):
            version = "ease.v1"

    assert model_class("ease.v1") is EASEModel
