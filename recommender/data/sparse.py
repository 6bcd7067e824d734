"""Sparse-matrix helpers shared by the content features, the models and batch inference."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.data.interactions import Interactions


def row_normalized(matrix: sp.csr_matrix, order: int) -> sp.csr_matrix:
    """``matrix`` with every non-empty row scaled to unit L1 or L2 norm."""
    squared = matrix.multiply(matrix) if order == 2 else abs(matrix)
    norms = np.asarray(squared.sum(axis=1)).ravel()
    norms = np.sqrt(norms) if order == 2 else norms
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ matrix)


def user_items_matrix(interactions: Interactions) -> sp.csr_matrix:
    """Users x tracks confidence sums: what every model learns from, rows and columns in the
    play log's user and track index order (the indices batch inference serves)."""
    shape = (len(interactions.user_ids), len(interactions.track_ids))
    matrix = sp.csr_matrix(
        (interactions.confidence, (interactions.user_idx, interactions.track_idx)), shape=shape
    )
    matrix.sum_duplicates()
    return matrix
