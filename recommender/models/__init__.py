"""Recommendation models. Each has ``name``, a versioned ``version`` (the registry name),
``fit(interactions)``, batch ``recommend(user_ids, n, exclude=...) -> (ids, scores)`` over
track indices, and ``save(path)`` / ``load(path)``."""

from recommender.models.popularity import NotFittedError, PopularityModel, chart_contexts

__all__ = ["NotFittedError", "PopularityModel", "chart_contexts"]
