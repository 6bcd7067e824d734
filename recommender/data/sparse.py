"""Sparse-matrix helpers shared by the content features and the models."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def row_normalized(matrix: sp.csr_matrix, order: int) -> sp.csr_matrix:
    """``matrix`` with every non-empty row scaled to unit L1 or L2 norm."""
    squared = matrix.multiply(matrix) if order == 2 else abs(matrix)
    norms = np.asarray(squared.sum(axis=1)).ravel()
    norms = np.sqrt(norms) if order == 2 else norms
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ matrix)
