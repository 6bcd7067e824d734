"""A hybrid: a weighted sum of other models' scores, each first scaled per user.

Models score on different scales (EASE's are regression outputs, RP3beta's probabilities), so
each component's scores for a user are divided by that user's largest finite score before
mixing. An item a component never ranks (-inf) counts as 0 for it; an item no component ranks
stays unranked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from recommender.models.base import (
    Arrays,
    FloatArray,
    IntArray,
    ScoringModel,
    load_model,
    located,
    read_meta,
)


class BlendModel(ScoringModel):
    name = "blend"
    version = "blend.v1"

    def __init__(self, components: Sequence[ScoringModel], weights: Sequence[float]) -> None:
        super().__init__()
        if not components or len(components) != len(weights):
            raise ValueError("give one weight per component, at least one component")
        self.components, self.weights = list(components), [float(w) for w in weights]

    def _fit(self, user_items: sp.csr_matrix) -> None:
        for component in self.components:
            component.fit(user_items)

    @property
    def supports_fold_in(self) -> bool:
        """Personal as soon as one component is: a chart component just adds its chart."""
        return any(component.supports_fold_in for component in self.components)

    def _ranked_items(self) -> IntArray | None:
        """What any component ranks: all items unless every component keeps to its own."""
        ranked = [component._ranked_items() for component in self.components]
        if any(items is None for items in ranked):
            return None
        return np.unique(np.concatenate([items for items in ranked if items is not None]))

    def _scores(
        self, user_ids: IntArray, user_items: sp.csr_matrix, columns: IntArray | None = None
    ) -> FloatArray:
        # Each user's scale is their best score over every item a component ranks, whatever
        # ``columns`` asks for: a context's tracks then keep the order they have in the whole.
        scaled = self._ranked_items()
        width = user_items.shape[1] if scaled is None else len(scaled)
        total = np.zeros((user_items.shape[0], width), dtype=np.float64)
        ranked = np.zeros(total.shape, dtype=bool)
        for component, weight in zip(self.components, self.weights, strict=True):
            scores = component._scores(user_ids, user_items, scaled)
            finite = np.isfinite(scores)
            top = np.max(np.where(finite, np.abs(scores), 0.0), axis=1, keepdims=True)
            scale = np.divide(weight, top, out=np.zeros_like(top), where=top > 0)
            total += np.where(finite, scores, 0.0) * scale
            ranked |= finite
        blended = np.where(ranked, total, -np.inf)
        if scaled is None:
            return blended if columns is None else blended[:, columns]
        if columns is None:  # every item asked for (this blend a component of another)
            every = np.full((user_items.shape[0], user_items.shape[1]), -np.inf)
            every[:, scaled] = blended
            return every
        at, found = located(scaled, columns)
        return np.where(found[None, :], blended[:, at], -np.inf)

    def save(self, path: Path) -> None:
        """``meta.json`` with the weights, one sub-directory per component."""
        super().save(path)
        for index, component in enumerate(self.components):
            component.save(path / f"component_{index}")

    @classmethod
    def load(cls, path: Path) -> Self:
        """The blend and its components, each loaded as the class its ``meta.json`` names
        (so their modules must have been imported: ``recommender.models.zoo`` imports all)."""
        meta = read_meta(path)
        if meta.get("version") != cls.version:
            raise ValueError(f"{path} holds {meta.get('version')!r}, not {cls.version!r}")
        weights = meta["params"]["weights"]
        components = [load_model(path / f"component_{i}") for i in range(len(weights))]
        model = cls(components, weights)
        model.n_items = int(meta["n_items"])
        return model

    def _params(self) -> dict[str, Any]:
        return {"weights": self.weights, "components": [c.version for c in self.components]}

    def _state(self) -> Arrays:
        return {}

    def _restore(self, arrays: Arrays) -> None:
        return None


class HybridModel(BlendModel):
    """A collaborative model blended with the content model: the same mixing, its own
    versioned name, so a training run can register it beside the collaborative blend. The
    content part ranks tracks nobody has played yet and pulls lists toward each listener's
    taste in genre, moods and sound."""

    name = "hybrid"
    version = "hybrid.v1"
