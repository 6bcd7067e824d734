"""PopularityModel, the charts' model: decayed, confidence-weighted ranking; exclusions;
charts per context; persistence. The contract itself is checked in test_models_contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import recommender.models.base as base_module
from recommender.batch.charts import chart_contexts, top_per_context
from recommender.batch.promoted_model import ModelLists
from recommender.data.interactions import Interactions, ItemSets
from recommender.data.sparse import user_items_matrix
from recommender.models.base import NotFittedError, top_n
from recommender.models.popularity import PopularityModel
from recommender.models.zoo import load_model

DAY = 86_400.0
NOW = 1_790_000_000.0


def _interactions(
    plays: list[tuple[int, int, float, float]], users: int = 3, tracks: int = 6
) -> Interactions:
    """plays: (user, track, confidence, age in days)."""
    user, track, confidence, age = (np.array(column) for column in zip(*plays, strict=True))
    return Interactions(
        user_ids=np.array([f"u{i}" for i in range(users)]),
        track_ids=np.array([f"t{i}" for i in range(tracks)]),
        user_idx=user.astype(np.int64),
        track_idx=track.astype(np.int64),
        confidence=confidence.astype(np.float64),
        event_time=NOW - age * DAY,
        end_reason=np.zeros(len(plays), dtype=np.int8),
    )


def _fitted(plays: Interactions, half_life_days: float = 30.0) -> PopularityModel:
    return PopularityModel(plays, half_life_days).fit(user_items_matrix(plays))


def _nobody(users: int = 1, tracks: int = 6) -> sp.csr_matrix:
    """Rows for listeners who played nothing: no exclusions."""
    return sp.csr_matrix((users, tracks))


def _rows(sets: list[set[int]], tracks: int = 6) -> sp.csr_matrix:
    """One users x tracks row per set: what each requested listener played."""
    rows = [row for row, items in enumerate(sets) for _ in items]
    cols = [item for items in sets for item in sorted(items)]
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sets), tracks))


# Track 0: three full plays 90 days ago. Track 1: two full plays today.
# Track 2: four skips today. Track 3: one full play a week ago. Tracks 4, 5: never played.
PLAYS = (
    [(0, 0, 1.0, 90.0)] * 3 + [(1, 1, 1.0, 0.0)] * 2 + [(2, 2, 0.05, 0.0)] * 4 + [(0, 3, 1.0, 7.0)]
)


def test_recent_plays_outrank_old_ones_by_half_life() -> None:
    model = _fitted(_interactions(PLAYS), half_life_days=30)
    ids, scores = model.recommend([0], _nobody(), 4)
    assert ids[0].tolist() == [1, 3, 0, 2]
    assert scores[0][0] == pytest.approx(2.0)
    assert scores[0][2] == pytest.approx(3 * 0.5**3)
    assert scores[0][3] == pytest.approx(4 * 0.05)
    # With a very long memory the three old plays win.
    slow = _fitted(_interactions(PLAYS), half_life_days=10_000)
    assert slow.recommend([0], _nobody(), 1)[0][0].tolist() == [0]


def test_only_played_tracks_are_candidates_and_short_rows_are_padded() -> None:
    model = _fitted(_interactions(PLAYS))
    ids, scores = model.recommend([0, 1], _nobody(2), 6)
    assert set(ids[0][:4].tolist()) == {0, 1, 2, 3}
    assert ids[0][4:].tolist() == [-1, -1]
    assert np.isnan(scores[0][4:]).all()


def test_played_and_excluded_tracks_are_skipped_and_the_list_refills() -> None:
    model = _fitted(_interactions(PLAYS), half_life_days=30)
    ids, _ = model.recommend([0, 1, 2], _rows([{0, 3}, {1}, set()]), 2)
    assert ids.tolist() == [[1, 2], [3, 0], [1, 3]]
    # Batch inference's exclusions (recent plays, dislikes) come on top of what was played.
    exclude = ItemSets.from_sets([{0, 3}, {1}, set()])
    assert ModelLists(model, _nobody(3)).top(np.arange(3), 2, exclude)[0].tolist() == ids.tolist()
    played = user_items_matrix(_interactions(PLAYS))  # u0: 0, 3; u1: 1; u2: 2
    lists = ModelLists(model, played)
    recent = ItemSets.from_sets([{1}, set(), {1}])
    assert lists.top(np.arange(3), 2, recent)[0].tolist() == [[2, -1], [3, 0], [3, 0]]
    with pytest.raises(ValueError, match="one row per user"):
        model.recommend([0, 1], _rows([{0}]), 2)


def test_filter_items_and_items_restrict_candidates() -> None:
    model = _fitted(_interactions(PLAYS), half_life_days=30)
    assert model.recommend([0], _nobody(), 2, filter_items=[1])[0].tolist() == [[3, 0]]
    assert model.recommend([0], _nobody(), 3, items=[0, 2, 5])[0].tolist() == [[0, 2, -1]]


def test_only_the_plays_of_the_fitted_pairs_count() -> None:
    plays = _interactions(PLAYS)
    matrix = user_items_matrix(plays)
    matrix[1, 1] = 0.0  # the holdout took user 1's track 1: its plays must not count
    matrix.eliminate_zeros()
    model = PopularityModel(plays, half_life_days=30).fit(matrix)
    assert model.recommend([0], _nobody(), 4)[0].tolist() == [[3, 0, 2, -1]]
    with pytest.raises(ValueError, match="plays cover 3 users x 6 tracks"):
        PopularityModel(plays).fit(sp.csr_matrix((3, 5)))
    with pytest.raises(ValueError, match="needs the play log"):
        PopularityModel().fit(matrix)


def test_batches_give_the_same_answer_as_scoring_every_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(0)
    plays = [
        (int(u), int(t), 1.0, float(a))
        for u, t, a in zip(
            rng.integers(0, 50, 2_000),
            rng.zipf(1.5, 2_000) % 200,
            rng.uniform(0, 60, 2_000),
            strict=True,
        )
    ]
    data = _interactions(plays, users=50, tracks=200)
    matrix = user_items_matrix(data)
    model = _fitted(data)
    users = np.arange(50)
    whole = model.recommend(users, matrix, 10)
    monkeypatch.setattr(base_module, "_CELLS_PER_BATCH", 7)
    batched = model.recommend(users, matrix, 10)
    np.testing.assert_array_equal(whole[0], batched[0])
    # The obvious way: every user's copy of the scores, their tracks set to -inf, top n.
    dense = np.tile(model.item_scores, (50, 1))
    dense[matrix.nonzero()] = -np.inf
    for got, want in zip(whole, top_n(dense, 10), strict=True):
        np.testing.assert_array_equal(got, want)


def test_charts_hold_only_their_context_members() -> None:
    genres = ["rock", "pop", "rock", None, "jazz", "pop"]
    moods = [("happy",), ("happy", "party"), (), ("sad",), (), ()]
    contexts = chart_contexts(genres, moods)
    assert contexts["all"].tolist() == [0, 1, 2, 3, 4, 5]
    assert contexts["genre:rock"].tolist() == [0, 2]
    assert contexts["mood:happy"].tolist() == [0, 1]
    model = _fitted(_interactions(PLAYS), half_life_days=30)
    charts = top_per_context(model, contexts, 6, 5, banned=[1])
    assert charts["mood:happy"][0].tolist() == [0]
    assert charts["genre:rock"][0].tolist() == [0, 2]
    assert charts["all"][0].tolist() == [3, 0, 2]
    assert charts["genre:jazz"][0].tolist() == []


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = _fitted(_interactions(PLAYS), half_life_days=12)
    model.save(tmp_path / "popularity.v1")
    loaded = load_model(tmp_path / "popularity.v1")
    assert isinstance(loaded, PopularityModel)
    assert loaded.half_life_days == 12
    assert loaded.reference_time == model.reference_time == NOW
    excluded = _rows([{1}, set()])
    for a, b in zip(
        loaded.recommend([0, 1], excluded, 3), model.recommend([0, 1], excluded, 3), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    meta = (tmp_path / "popularity.v1" / "meta.json").read_text()
    (tmp_path / "popularity.v1" / "meta.json").write_text(meta.replace("popularity.v1", "x.v9"))
    with pytest.raises(ValueError, match="x.v9"):
        PopularityModel.load(tmp_path / "popularity.v1")


def test_an_unfitted_model_refuses_to_work(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError):
        PopularityModel().recommend([0], _nobody(), 3)
    with pytest.raises(NotFittedError):
        PopularityModel().save(tmp_path)
    with pytest.raises(ValueError, match="half_life_days"):
        PopularityModel(half_life_days=0)
    assert PopularityModel.name == "popularity"
    assert PopularityModel.version == "popularity.v1"
