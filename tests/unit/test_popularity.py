"""PopularityModel: decayed, confidence-weighted ranking; exclusions; charts; persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import recommender.models.popularity as popularity_module
from recommender.data.interactions import Interactions, ItemSets
from recommender.models import NotFittedError, PopularityModel, chart_contexts

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


# Track 0: three full plays 90 days ago. Track 1: two full plays today.
# Track 2: four skips today. Track 3: one full play a week ago. Tracks 4, 5: never played.
PLAYS = (
    [(0, 0, 1.0, 90.0)] * 3 + [(1, 1, 1.0, 0.0)] * 2 + [(2, 2, 0.05, 0.0)] * 4 + [(0, 3, 1.0, 7.0)]
)


def test_recent_plays_outrank_old_ones_by_half_life() -> None:
    model = PopularityModel(half_life_days=30).fit(_interactions(PLAYS))
    ids, scores = model.recommend([0], 4)
    assert ids[0].tolist() == [1, 3, 0, 2]
    assert scores[0][0] == pytest.approx(2.0)
    assert scores[0][2] == pytest.approx(3 * 0.5**3)
    assert scores[0][3] == pytest.approx(4 * 0.05)
    # With a very long memory the three old plays win.
    slow = PopularityModel(half_life_days=10_000).fit(_interactions(PLAYS))
    assert slow.recommend([0], 1)[0][0].tolist() == [0]


def test_only_played_tracks_are_candidates_and_short_rows_are_padded() -> None:
    model = PopularityModel().fit(_interactions(PLAYS))
    ids, scores = model.recommend([0, 1], 6)
    assert set(ids[0][:4].tolist()) == {0, 1, 2, 3}
    assert ids[0][4:].tolist() == [-1, -1]
    assert np.isnan(scores[0][4:]).all()


def test_excluded_tracks_are_skipped_and_the_list_refills() -> None:
    model = PopularityModel(half_life_days=30).fit(_interactions(PLAYS))
    ids, _ = model.recommend([0, 1, 2], 2, exclude=[{0, 3}, {1}, set()])
    assert ids.tolist() == [[1, 2], [3, 0], [1, 3]]
    as_csr = ItemSets.from_sets([{0, 3}, {1}, set()])
    assert model.recommend([0, 1, 2], 2, exclude=as_csr)[0].tolist() == ids.tolist()
    with pytest.raises(ValueError, match="rows"):
        model.recommend([0, 1], 2, exclude=[{0}])


def test_filter_items_and_items_restrict_candidates() -> None:
    model = PopularityModel(half_life_days=30).fit(_interactions(PLAYS))
    assert model.recommend([0], 2, filter_items=[1])[0].tolist() == [[3, 0]]
    assert model.recommend([0], 3, items=[0, 2, 5])[0].tolist() == [[0, 2, -1]]


def test_batches_give_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
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
    model = PopularityModel().fit(data)
    users = np.arange(50)
    whole = model.recommend(users, 10, exclude=data.seen())
    monkeypatch.setattr(popularity_module, "_CELLS_PER_BATCH", 7)
    batched = model.recommend(users, 10, exclude=data.seen())
    np.testing.assert_array_equal(whole[0], batched[0])
    seen = data.seen()
    for user in users:
        assert not set(whole[0][user].tolist()) & set(seen.row(int(user)).tolist())


def test_charts_hold_only_their_context_members() -> None:
    genres = ["rock", "pop", "rock", None, "jazz", "pop"]
    moods = [("happy",), ("happy", "party"), (), ("sad",), (), ()]
    contexts = chart_contexts(genres, moods)
    assert contexts["all"].tolist() == [0, 1, 2, 3, 4, 5]
    assert contexts["genre:rock"].tolist() == [0, 2]
    assert contexts["mood:happy"].tolist() == [0, 1]
    model = PopularityModel(half_life_days=30).fit(_interactions(PLAYS))
    charts = model.charts(contexts, 5, filter_items=[1])
    assert charts["mood:happy"][0].tolist() == [0]
    assert charts["genre:rock"][0].tolist() == [0, 2]
    assert charts["all"][0].tolist() == [3, 0, 2]
    assert charts["genre:jazz"][0].tolist() == []


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = PopularityModel(half_life_days=12).fit(_interactions(PLAYS))
    model.save(tmp_path / "popularity.v1")
    loaded = PopularityModel.load(tmp_path / "popularity.v1")
    assert loaded.half_life_days == 12
    assert loaded.reference_time == model.reference_time
    assert loaded.track_ids.tolist() == model.track_ids.tolist()
    for a, b in zip(
        loaded.recommend([0, 1], 3, exclude=[{1}, set()]),
        model.recommend([0, 1], 3, exclude=[{1}, set()]),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    meta = (tmp_path / "popularity.v1" / "meta.json").read_text()
    (tmp_path / "popularity.v1" / "meta.json").write_text(meta.replace("popularity.v1", "x.v9"))
    with pytest.raises(ValueError, match="x.v9"):
        PopularityModel.load(tmp_path / "popularity.v1")


def test_an_unfitted_model_refuses_to_work(tmp_path: Path) -> None:
    with pytest.raises(NotFittedError):
        PopularityModel().recommend([0], 3)
    with pytest.raises(NotFittedError):
        PopularityModel().save(tmp_path)
    assert PopularityModel.name == "popularity"
    assert PopularityModel.version == "popularity.v1"
