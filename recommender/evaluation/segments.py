"""User segments by training history size: new, light and heavy listeners.

Metrics averaged over everyone hide how a model treats users with little history, which is
where most models fail; ``segment_users`` labels each user so results can be split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

SEGMENTS: tuple[str, ...] = ("new", "light", "heavy")


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """``new``: fewer than ``light_from`` training items; ``heavy``: ``heavy_from`` or more."""

    light_from: int = 10
    heavy_from: int = 30

    def __post_init__(self) -> None:
        if not 0 < self.light_from <= self.heavy_from:
            raise ValueError("need 0 < light_from <= heavy_from")


def segment_users(
    train: sp.csr_matrix, users: npt.ArrayLike, rule: SegmentRule | None = None
) -> npt.NDArray[np.str_]:
    """The segment name of each of ``users`` (rows of ``train``)."""
    matrix = sp.csr_matrix(train, copy=True)
    matrix.eliminate_zeros()
    history = np.diff(matrix.indptr)[np.asarray(users, dtype=np.int64)]
    rule = rule or SegmentRule()
    index = (history >= rule.light_from).astype(np.int64) + (history >= rule.heavy_from)
    labels: npt.NDArray[np.str_] = np.asarray(SEGMENTS, dtype=np.str_)[index]
    return labels
