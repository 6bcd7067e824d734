"""The model zoo: every model class by its versioned name (``ease.v1``), and loading any saved
model by the name its ``meta.json`` records.

Not to be confused with the model *registry* (``registry.py``: trained artifacts, promotion,
rollback) or the *track catalog* (``playback.catalog``). Each class joins the zoo's table in
``base`` when it is defined; this module imports every model module so that all of them have.
To add a model, import its module here and give it a ``ModelContract`` suite in
``tests/unit/test_models_contract.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Imported for their classes, each of which joins the zoo when it is defined.
from recommender.models import blend, content, ease, ials, itemknn, popularity, rp3beta  # noqa: F401
from recommender.models.base import ScoringModel, known_versions, load_model, model_class

MODEL_CLASSES: Mapping[str, type[ScoringModel]] = MappingProxyType(known_versions())

__all__ = ["MODEL_CLASSES", "load_model", "model_class"]
