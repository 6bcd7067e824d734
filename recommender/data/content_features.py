"""Content features: the one place items become vectors, for batch's new-track lists and for
the content model (``recommender.models.content``).

Collaborative models and popularity cannot rank an item nobody played (item cold start).
Its content can. ``ItemFeatures`` holds what is known about each item: genre and mood
weights (a track's one genre and its moods as 0/1; an artist's tag votes), free-text tag
counts, and audio features (energy, valence, tempo in BPM, acousticness, danceability; NaN
when unknown). ``item_vectors`` turns them into one vector per item, a block per kind:

- genres, moods and tags: each block scaled to L2 length ``GENRE_WEIGHT``, ``MOOD_WEIGHT``,
  ``TAG_WEIGHT``; tags first weighted ``log1p(count) * idf`` so "rock", on every other
  artist, says less than "shoegaze". Tags only one item has are dropped: they match nothing.
- audio: tempo scaled to [0, 1] by ``_TEMPO_MAX_BPM``, a missing value takes the mean of the
  items that have it, the block times ``AUDIO_WEIGHT / sqrt(5)``.

and scales each vector to unit length. A listener's taste vector (``taste_vectors``) is the
weighted sum of the vectors of what they played, also unit length; an item's score for them
is the cosine of the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from playback.catalog import Track
from recommender.data.sparse import row_normalized

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Vectors: TypeAlias = FloatArray | sp.csr_matrix

GENRE_WEIGHT = 1.0
MOOD_WEIGHT = 0.7
TAG_WEIGHT = 1.0
AUDIO_WEIGHT = 0.6
AUDIO_FEATURES: tuple[str, ...] = ("energy", "valence", "tempo", "acousticness", "danceability")
_TEMPO_MAX_BPM = 250.0
_CELLS_PER_STEP = 4_000_000  # taste rows x candidates compared at once (32 MB of float64)


@dataclass(frozen=True, slots=True)
class ItemFeatures:
    """Content of ``n`` items, rows aligned with item indices; any block may have no columns."""

    genres: sp.csr_matrix  # n x genre columns, non-negative weights
    moods: sp.csr_matrix  # n x mood columns
    tags: sp.csr_matrix  # n x tag columns, counts
    audio: FloatArray  # n x AUDIO_FEATURES, raw units (tempo in BPM), NaN = unknown

    def __post_init__(self) -> None:
        n = self.audio.shape[0]
        if self.audio.ndim != 2 or self.audio.shape[1] != len(AUDIO_FEATURES):
            raise ValueError(f"audio must be (items, {len(AUDIO_FEATURES)})")
        for name in ("genres", "moods", "tags"):
            block = getattr(self, name)
            if block.shape[0] != n:
                raise ValueError(f"{name} has {block.shape[0]} rows for {n} items")
            if block.nnz and block.data.min() < 0:
                raise ValueError(f"{name} weights must be non-negative")

    def __len__(self) -> int:
        return int(self.audio.shape[0])

    @classmethod
    def build(
        cls,
        n_items: int,
        *,
        genres: sp.spmatrix | sp.sparray | None = None,
        moods: sp.spmatrix | sp.sparray | None = None,
        tags: sp.spmatrix | sp.sparray | None = None,
        audio: npt.ArrayLike | None = None,
    ) -> ItemFeatures:
        """Features of ``n_items`` from whichever blocks are known (the rest empty)."""

        def block(matrix: sp.spmatrix | sp.sparray | None) -> sp.csr_matrix:
            if matrix is None:
                return sp.csr_matrix((n_items, 0))
            return sp.csr_matrix(matrix, dtype=np.float64)

        unknown = np.full((n_items, len(AUDIO_FEATURES)), np.nan)
        values = unknown if audio is None else np.asarray(audio, dtype=np.float64)
        return cls(block(genres), block(moods), block(tags), values)

    @classmethod
    def of_tracks(cls, tracks: Sequence[Track]) -> ItemFeatures:
        """A catalog's tracks: one-hot genre, multi-hot moods, their audio features."""
        genres = sorted({t.genre for t in tracks if t.genre})
        moods = sorted({m for t in tracks for m in t.moods})
        genre_col = {g: i for i, g in enumerate(genres)}
        mood_col = {m: i for i, m in enumerate(moods)}
        genre_pairs = [(row, genre_col[t.genre]) for row, t in enumerate(tracks) if t.genre]
        mood_pairs = [(row, mood_col[m]) for row, t in enumerate(tracks) for m in set(t.moods)]
        audio = np.array(
            [[_or_nan(getattr(t, name)) for name in AUDIO_FEATURES] for t in tracks],
            dtype=np.float64,
        ).reshape(len(tracks), len(AUDIO_FEATURES))
        return cls.build(
            len(tracks),
            genres=indicator(genre_pairs, (len(tracks), len(genres))),
            moods=indicator(mood_pairs, (len(tracks), len(moods))),
            audio=audio,
        )


def item_vectors(features: ItemFeatures) -> sp.csr_matrix:
    """One unit-length content vector per item (CSR), as the module docstring describes."""
    blocks = [
        _scaled_rows(features.genres, GENRE_WEIGHT),
        _scaled_rows(features.moods, MOOD_WEIGHT),
        _scaled_rows(_tag_weights(features.tags), TAG_WEIGHT),
        sp.csr_matrix(_audio_block(features.audio)),
    ]
    return unit_rows(sp.csr_matrix(sp.hstack(blocks, format="csr")))


def track_vectors(tracks: Sequence[Track]) -> FloatArray:
    """One unit-length content vector per track, in the order given (dense)."""
    dense: FloatArray = item_vectors(ItemFeatures.of_tracks(tracks)).toarray()
    return dense


def taste_vectors(
    vectors: FloatArray, rows: IntArray, items: IntArray, weights: FloatArray, n_rows: int
) -> FloatArray:
    """Per row (listener), the unit-length sum of ``weights`` times the vectors of
    ``items``; (rows[i], items[i], weights[i]) are parallel. A row without items is zero."""
    user_weights = sp.csr_matrix((weights, (rows, items)), shape=(n_rows, len(vectors)))
    taste: FloatArray = np.asarray(unit_rows(user_weights @ vectors), dtype=np.float64)
    return taste


def most_similar(
    taste: FloatArray, candidates: FloatArray, n: int, blocked: Sequence[Sequence[int]] = ()
) -> tuple[IntArray, FloatArray]:
    """Per taste row, the ``n`` candidate rows of highest cosine, best first, padded with
    -1 / NaN; ``blocked[i]`` are candidate rows never given to taste row i. Zero-taste rows
    (nothing played) get nothing: similarity to nothing is no reason. Rows are taken a few at
    a time, so memory stays bounded however many candidates (a large catalog's unplayed
    tracks) there are."""
    ids = np.full((len(taste), n), -1, dtype=np.int64)
    scores = np.full((len(taste), n), np.nan)
    if not len(candidates) or n <= 0:
        return ids, scores
    step = max(1, _CELLS_PER_STEP // len(candidates))
    for start in range(0, len(taste), step):
        rows = slice(start, min(start + step, len(taste)))
        ids[rows], scores[rows] = _most_similar_rows(
            taste[rows], candidates, n, blocked[rows] if len(blocked) else ()
        )
    return ids, scores


def _most_similar_rows(
    taste: FloatArray, candidates: FloatArray, n: int, blocked: Sequence[Sequence[int]]
) -> tuple[IntArray, FloatArray]:
    ids = np.full((len(taste), n), -1, dtype=np.int64)
    scores = np.full((len(taste), n), np.nan)
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


def unit_rows(matrix: Vectors) -> Vectors:
    """``matrix`` with every non-zero row scaled to unit L2 length (dense stays dense)."""
    if sp.issparse(matrix):
        unit_sparse: sp.csr_matrix = row_normalized(sp.csr_matrix(matrix, dtype=np.float64), 2)
        return unit_sparse
    dense = np.asarray(matrix, dtype=np.float64)
    row_norms = np.linalg.norm(dense, axis=1, keepdims=True)
    unit: FloatArray = np.divide(dense, row_norms, out=np.zeros_like(dense), where=row_norms > 0)
    return unit


def _scaled_rows(block: sp.csr_matrix, weight: float) -> sp.csr_matrix:
    return sp.csr_matrix(row_normalized(block, order=2) * weight)


def _tag_weights(tags: sp.csr_matrix) -> sp.csr_matrix:
    """``log1p(count) * idf`` over the tags at least two items have; the others dropped."""
    counts = sp.csr_matrix(tags, copy=True)
    counts.eliminate_zeros()
    items_per_tag = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log(max(counts.shape[0], 1)) - np.log(np.maximum(items_per_tag, 1))
    keep = items_per_tag >= 2
    counts.data = np.log1p(counts.data) * np.where(keep, idf, 0.0)[counts.indices]
    counts.eliminate_zeros()
    return counts


def _audio_block(audio: FloatArray) -> FloatArray:
    values = audio.copy()
    tempo = AUDIO_FEATURES.index("tempo")
    values[:, tempo] = np.minimum(values[:, tempo] / _TEMPO_MAX_BPM, 1.0)
    if len(values):
        # A feature no item has is 0 for all, so it adds nothing to any cosine.
        means = np.nanmean(np.where(np.isnan(values).all(axis=0), 0.0, values), axis=0)
        values = np.where(np.isnan(values), means, values)
    block: FloatArray = AUDIO_WEIGHT * values / np.sqrt(len(AUDIO_FEATURES))
    return block


def indicator(pairs: Sequence[tuple[int, int]], shape: tuple[int, int]) -> sp.csr_matrix:
    """A 0/1 matrix of ``shape`` with a 1 at each (row, column) of ``pairs``."""
    rows = np.asarray([r for r, _ in pairs], dtype=np.int64)
    cols = np.asarray([c for _, c in pairs], dtype=np.int64)
    return sp.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=shape)


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else float(value)
