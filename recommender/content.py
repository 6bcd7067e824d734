"""Content similarity: how new tracks, which no listener has played, reach recommendations.

Collaborative models and popularity cannot rank a track nobody played (item cold start).
Its content can: each track becomes a vector of its genre (one-hot), its moods (multi-hot)
and its audio features (energy, valence, tempo scaled to [0, 1], acousticness,
danceability; a missing value takes the catalog's mean), weighted by ``GENRE_WEIGHT`` etc.
and scaled to unit length. A listener's taste vector is the confidence-weighted sum of the
vectors of what they played and liked, also unit length; a new track's score for them is the
cosine of the two. Batch inference stores each listener's best new tracks as their ``new``
list, and the router slots a few into the personalized answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from playback.catalog import Track

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

GENRE_WEIGHT = 1.0
MOOD_WEIGHT = 0.7
AUDIO_WEIGHT = 0.6
AUDIO_FEATURES: tuple[str, ...] = ("energy", "valence", "tempo", "acousticness", "danceability")
_TEMPO_MAX_BPM = 250.0


def track_vectors(tracks: Sequence[Track]) -> FloatArray:
    """One unit-length content vector per track, in the order given."""
    genres = sorted({t.genre for t in tracks if t.genre})
    moods = sorted({m for t in tracks for m in t.moods})
    genre_col = {g: i for i, g in enumerate(genres)}
    mood_col = {m: len(genres) + i for i, m in enumerate(moods)}
    audio_at = len(genres) + len(moods)
    matrix = np.zeros((len(tracks), audio_at + len(AUDIO_FEATURES)))
    audio = np.full((len(tracks), len(AUDIO_FEATURES)), np.nan)
    for row, track in enumerate(tracks):
        if track.genre:
            matrix[row, genre_col[track.genre]] = GENRE_WEIGHT
        for mood in track.moods:
            matrix[row, mood_col[mood]] = MOOD_WEIGHT / np.sqrt(len(track.moods))
        for col, name in enumerate(AUDIO_FEATURES):
            value = getattr(track, name)
            if value is not None:
                audio[row, col] = min(value / _TEMPO_MAX_BPM, 1.0) if name == "tempo" else value
    if len(tracks):
        means = np.nanmean(np.where(np.isnan(audio).all(axis=0), 0.0, audio), axis=0)
        audio = np.where(np.isnan(audio), means, audio)
        matrix[:, audio_at:] = AUDIO_WEIGHT * audio / np.sqrt(len(AUDIO_FEATURES))
    return _unit_rows(matrix)


def taste_vectors(
    vectors: FloatArray, rows: IntArray, items: IntArray, weights: FloatArray, n_rows: int
) -> FloatArray:
    """Per row (listener), the unit-length sum of ``weights`` times the vectors of
    ``items``; (rows[i], items[i], weights[i]) are parallel. A row without items is zero."""
    taste = np.zeros((n_rows, vectors.shape[1]))
    np.add.at(taste, rows, vectors[items] * weights[:, None])
    return _unit_rows(taste)


def most_similar(
    taste: FloatArray, candidates: FloatArray, n: int, blocked: Sequence[Sequence[int]] = ()
) -> tuple[IntArray, FloatArray]:
    """Per taste row, the ``n`` candidate rows of highest cosine, best first, padded with
    -1 / NaN; ``blocked[i]`` are candidate rows never given to taste row i. Zero-taste rows
    (nothing played) get nothing: similarity to nothing is no reason."""
    ids = np.full((len(taste), n), -1, dtype=np.int64)
    scores = np.full((len(taste), n), np.nan)
    if not len(candidates) or n <= 0:
        return ids, scores
    sims = taste @ candidates.T
    sims[~taste.any(axis=1)] = -np.inf
    for row, blocked_rows in enumerate(blocked):
        if len(blocked_rows):
            sims[row, np.asarray(blocked_rows, dtype=np.int64)] = -np.inf
    width = min(n, len(candidates))
    top = np.argpartition(-sims, width - 1, axis=1)[:, :width]
    order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(top, order, axis=1)
    best_scores = np.take_along_axis(sims, best, axis=1)
    valid = np.isfinite(best_scores) & (best_scores > 0)
    ids[:, :width] = np.where(valid, best, -1)
    scores[:, :width] = np.where(valid, best_scores, np.nan)
    return ids, scores


def _unit_rows(matrix: FloatArray) -> FloatArray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: FloatArray = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return unit
