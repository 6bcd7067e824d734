"""Charts: the same list for every listener, per context (``all``, each mood and genre, each
region and age group), from the charts' model, ``popularity.v1`` fitted on the play log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommender.data.interactions import Interactions
from recommender.data.sparse import user_items_matrix
from recommender.models.base import Recommender
from recommender.models.popularity import PopularityModel
from recommender.storage.recommendations import context_key

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def chart_model(plays: Interactions) -> PopularityModel:
    """The charts' model fitted on ``plays`` (the whole log, or a cohort's plays with the
    vocabularies unchanged)."""
    return PopularityModel(plays).fit(user_items_matrix(plays))


def chart_contexts(
    genres: Sequence[str | None], moods: Sequence[Sequence[str]]
) -> dict[str, IntArray]:
    """Track indices per store context: ``all``, ``mood:<m>``, ``genre:<g>``."""
    groups: dict[str, list[int]] = {context_key(): list(range(len(genres)))}
    for index, (genre, track_moods) in enumerate(zip(genres, moods, strict=True)):
        if genre:
            groups.setdefault(context_key(genre=genre), []).append(index)
        for mood in track_moods:
            groups.setdefault(context_key(mood=mood), []).append(index)
    return {key: np.asarray(members, dtype=np.int64) for key, members in sorted(groups.items())}


def top_per_context(
    model: Recommender,
    contexts: Mapping[str, npt.ArrayLike],
    n_items: int,
    n: int,
    *,
    banned: npt.ArrayLike | None = None,
) -> dict[str, tuple[IntArray, FloatArray]]:
    """Per context (its key -> its track indices), ``model``'s top ``n`` unpadded, for a
    listener who has played nothing, ``banned`` left out."""
    nobody = sp.csr_matrix((1, n_items))
    found: dict[str, tuple[IntArray, FloatArray]] = {}
    for key, members in contexts.items():
        ids, scores = model.recommend([0], nobody, n, filter_items=banned, items=members)
        valid = ids[0] >= 0
        found[key] = (ids[0][valid], scores[0][valid])
    return found
