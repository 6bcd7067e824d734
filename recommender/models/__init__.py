"""Recommendation models.

Two families share the batch-first shape ``recommend(user_ids, ...) -> (ids, scores)``:

- ``popularity.PopularityModel`` fits the unified play log (``Interactions``) with time decay
  and serves the pipeline's charts.
- The batch-first models (``base.ScoringModel``: most popular, trending, popularity per genre
  and per mood, content, item-kNN, iALS, EASE, RP3beta, blend, hybrid) fit a users x items
  ``scipy.sparse.csr_matrix`` after implicit's ``recommender_base``.
  ``catalog.MODEL_CLASSES`` maps their versioned names (``ease.v1``) to classes; import
  ``recommender.models.zoo`` for them (it needs the training extra).
"""

from recommender.models.popularity import NotFittedError, PopularityModel, chart_contexts

__all__ = ["NotFittedError", "PopularityModel", "chart_contexts"]
