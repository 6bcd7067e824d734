"""Model classes by versioned registry name, and loading any saved model by its metadata."""

from __future__ import annotations

from pathlib import Path

from recommender.models.base import Recommender, read_meta
from recommender.models.blend import BlendModel, HybridModel
from recommender.models.content import ContentModel
from recommender.models.ease import EASEModel
from recommender.models.facet_popularity import GenrePopularityModel, MoodPopularityModel
from recommender.models.ials import IALSModel
from recommender.models.itemknn import ItemKNNModel
from recommender.models.most_popular import MostPopularModel, TrendingModel
from recommender.models.rp3beta import RP3BetaModel

MODEL_CLASSES: dict[str, type[Recommender]] = {
    cls.version: cls
    for cls in (
        MostPopularModel,
        TrendingModel,
        GenrePopularityModel,
        MoodPopularityModel,
        ContentModel,
        ItemKNNModel,
        IALSModel,
        EASEModel,
        RP3BetaModel,
        BlendModel,
        HybridModel,
    )
}


def model_class(version: str) -> type[Recommender]:
    """The class registered as ``version`` (e.g. ``"ease.v1"``)."""
    try:
        return MODEL_CLASSES[version]
    except KeyError:
        known = ", ".join(sorted(MODEL_CLASSES))
        raise KeyError(f"no model registered as {version!r}; known: {known}") from None


def load_model(path: Path) -> Recommender:
    """Whatever model was saved into ``path``, as the class its ``meta.json`` names."""
    return model_class(str(read_meta(path).get("version"))).load(path)
