"""A large catalog's popular head: the tracks models rank when there are too many to score.

Up to ``LARGE_CATALOG_ITEMS`` tracks every model scores every track for every listener (the
embedded default has 20,000). Above it, scoring listeners x tracks densely costs minutes per
model and item x item models grow with the square of the catalog, so:

- evaluation and batch inference rank each listener's picks among the ``CANDIDATE_ITEMS``
  most-listened tracks (``candidate_items``): candidate retrieval, then exact scoring;
- item-kNN and RP3beta learn their similarities among the ``NEIGHBOUR_ITEMS`` most-listened
  tracks only (``neighbour_items``); EASE keeps to its 3,000 (``offline.training``).

A track outside the head has a handful of listeners at most, so a model rarely ranks it
where a listener would find it; new tracks reach listeners through the content model's
``new`` lists, which batch inference builds from every unplayed track.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

IntArray = npt.NDArray[np.int64]

LARGE_CATALOG_ITEMS = 100_000
CANDIDATE_ITEMS = 50_000
NEIGHBOUR_ITEMS = 30_000
logger = logging.getLogger(__name__)


def is_large_catalog(n_items: int) -> bool:
    return n_items > LARGE_CATALOG_ITEMS


def popular_head(user_items: sp.csr_matrix, max_items: int) -> IntArray:
    """The ``max_items`` items with the most users (ties by lower index), ascending."""
    users_per_item = np.bincount(user_items.indices, minlength=user_items.shape[1])
    if max_items >= len(users_per_item):
        return np.arange(len(users_per_item), dtype=np.int64)
    order = np.lexsort((np.arange(len(users_per_item)), -users_per_item))
    return np.sort(order[:max_items]).astype(np.int64)


def candidate_items(user_items: sp.csr_matrix) -> IntArray | None:
    """The items evaluation and batch inference rank among: all (None) for a catalog up to
    ``LARGE_CATALOG_ITEMS``, else the ``CANDIDATE_ITEMS`` most-listened."""
    n_items = user_items.shape[1]
    if not is_large_catalog(n_items):
        return None
    logger.info(
        "large catalog: models rank the most-listened tracks only",
        extra={"tracks": n_items, "candidates": CANDIDATE_ITEMS},
    )
    return popular_head(user_items, CANDIDATE_ITEMS)


def neighbour_items(n_items: int) -> int | None:
    """How many items an item x item model may learn over: no limit (None) for a catalog up
    to ``LARGE_CATALOG_ITEMS``, else ``NEIGHBOUR_ITEMS``."""
    if not is_large_catalog(n_items):
        return None
    logger.info(
        "large catalog: an item x item model learns over the most-listened tracks only",
        extra={"tracks": n_items, "head": NEIGHBOUR_ITEMS},
    )
    return NEIGHBOUR_ITEMS
