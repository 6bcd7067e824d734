"""The content model: new items ranked by their features, vectors shared with batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from playback.catalog import Track
from recommender.data.content_features import ItemFeatures, item_vectors, track_vectors
from recommender.evaluation.lastfm_protocol import evaluate_lastfm
from recommender.models.content import ContentModel
from tests.unit.lastfm_files import synthetic_plays, synthetic_tags, write_lastfm

# Items 0-2 are rock, 3 and 4 jazz; item 5 has no content at all.
GENRES = sp.csr_matrix(np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 0]], dtype=float))


def plays(rows: list[list[int]], n_items: int = 6) -> sp.csr_matrix:
    """One row per user, 5 plays of each listed item."""
    matrix = np.zeros((len(rows), n_items))
    for user, items in enumerate(rows):
        matrix[user, items] = 5.0
    return sp.csr_matrix(matrix)


def test_an_item_nobody_played_is_ranked_by_its_features() -> None:
    # Nobody has played item 2 (rock) or item 4 (jazz); user 0 plays rock, user 1 jazz.
    data = plays([[0, 1], [3]])
    model = ContentModel(ItemFeatures.build(6, genres=GENRES)).fit(data)
    ids, scores = model.recommend([0, 1], data, n=4)
    assert ids[0, 0] == 2 and scores[0, 0] == pytest.approx(1.0)
    assert ids[1, 0] == 4 and scores[1, 0] == pytest.approx(1.0)
    # The other genre's items come after, at cosine 0; item 5 has no content: never ranked.
    assert set(ids[0, 1:3].tolist()) == {3, 4} and np.allclose(scores[0, 1:3], 0.0)
    assert 5 not in ids


def test_audio_features_separate_items_of_one_genre() -> None:
    audio = np.full((6, 5), np.nan)
    audio[:3] = [
        [0.9, 0.8, 170.0, 0.05, 0.8],
        [0.2, 0.3, 70.0, 0.9, 0.3],
        [0.85, 0.7, 160, 0.1, 0.7],
    ]
    data = plays([[0]])
    model = ContentModel(ItemFeatures.build(6, genres=GENRES, audio=audio)).fit(data)
    ids, _ = model.recommend([0], data, n=2)
    # Item 2 sounds like item 0 (loud, fast); item 1 is quiet and acoustic.
    assert ids[0].tolist() == [2, 1]


def test_tags_that_only_one_item_has_do_not_count() -> None:
    tags = sp.csr_matrix(np.array([[3, 1, 0], [1, 0, 0], [0, 0, 2]], dtype=float))
    vectors = item_vectors(ItemFeatures.build(3, tags=tags)).toarray()
    # Tag 0 (two items) is kept; tags 1 and 2 (one item each) are dropped.
    assert np.allclose(vectors[:, 0], [1.0, 1.0, 0.0]) and not vectors[:, 1:].any()


def test_a_user_without_history_gets_nothing() -> None:
    data = plays([[0], []])
    model = ContentModel(ItemFeatures.build(6, genres=GENRES)).fit(data)
    ids, scores = model.recommend([1], data[[1]], n=3)
    assert ids.tolist() == [[-1, -1, -1]] and np.isnan(scores).all()


def test_the_model_and_batch_build_the_same_track_vectors() -> None:
    tracks = [
        Track("a", "A", "x", "X", genre="rock", moods=("happy",), energy=0.8, tempo=120.0),
        Track("b", "B", "x", "X", genre="jazz", moods=("relaxing", "focus"), valence=0.4),
        Track("c", "C", "y", "Y", moods=(), acousticness=0.7, danceability=0.2),
    ]
    model = ContentModel(ItemFeatures.of_tracks(tracks)).fit(sp.csr_matrix((1, 3)))
    np.testing.assert_allclose(model.vectors.toarray(), track_vectors(tracks))


def test_features_are_required_and_must_match_the_items() -> None:
    with pytest.raises(ValueError, match="needs item features"):
        ContentModel().fit(plays([[0]]))
    with pytest.raises(ValueError, match="describe 6 items"):
        ContentModel(ItemFeatures.build(6, genres=GENRES)).fit(plays([[0]], n_items=7))


def test_item_features_refuse_misaligned_or_negative_blocks() -> None:
    with pytest.raises(ValueError, match="genres has 6 rows for 5 items"):
        ItemFeatures.build(5, genres=GENRES)
    with pytest.raises(ValueError, match="non-negative"):
        ItemFeatures.build(6, tags=-GENRES)
    with pytest.raises(ValueError, match="audio must be"):
        ItemFeatures.build(2, audio=np.zeros((2, 3)))


def test_side_data_models_run_on_the_lastfm_protocol(tmp_path: Path) -> None:
    # Two taste groups whose artists carry different tags: content and per-genre popularity
    # keep each user in their group, the global chart does not.
    directory = write_lastfm(tmp_path, plays=synthetic_plays(), tagged=synthetic_tags())
    labels = ["popularity", "trending", "genre-pop", "mood-pop", "content"]
    run = evaluate_lastfm(directory, seed=0, models=labels, k=5)
    ndcg = {result.label: result.metrics["ndcg@5"] for result in run.results}
    assert list(ndcg) == labels
    # Within a group they can only guess (ties by id, by popularity), hence modest margins.
    assert ndcg["content"] > 1.5 * ndcg["popularity"]
    assert ndcg["genre-pop"] > 1.3 * ndcg["popularity"]
    # No mood tags at all: per-mood popularity is the global chart.
    assert ndcg["mood-pop"] == pytest.approx(ndcg["popularity"])
