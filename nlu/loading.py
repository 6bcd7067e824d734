"""Building the parser serving uses: ``load_parser`` picks the ``MusicParser`` or, with a
trained model artifact, the ``TrainedParser`` (its own module, so neither parser imports the
other's builder)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nlu.embeddings import PrototypeClassifier, SentenceEncoder
from nlu.gazetteer import lexicon_gazetteer, load_gazetteer
from nlu.joint_model import JointModel
from nlu.parser import MusicParser
from nlu.trained_parser import TrainedParser


def load_parser(
    gazetteer_dir: Path | None,
    *,
    genres: Iterable[str] = (),
    embeddings: bool = True,
    threads: int = 1,
    quantize: bool = True,
    trained_model: Path | None = None,
) -> MusicParser:
    """The music parser for a gazetteer built by ``build_gazetteer``. Without one (nothing
    built yet) it knows the lexicon and ``genres`` only. ``embeddings`` False keeps it on
    rules; otherwise the model loads on the first unsure request or ``warm()``, from the
    MiniLM graph in ``graph_dir(gazetteer_dir)`` (exported there first if missing;
    ``threads`` and ``quantize`` as ``SentenceEncoder`` takes them). ``trained_model``, the
    artifact folder of ``philomath nlu train``, makes it the ``TrainedParser``."""
    genres = list(genres)
    if gazetteer_dir is not None and (gazetteer_dir / "info.json").exists():
        gazetteer = load_gazetteer(gazetteer_dir, extra_genres=genres)
    else:
        gazetteer = lexicon_gazetteer(genres)
    classifier = None
    if embeddings:
        encoder = SentenceEncoder(
            cache_dir=graph_dir(gazetteer_dir), threads=threads, quantize=quantize
        )
        classifier = PrototypeClassifier(encoder)
    if trained_model is not None:
        return TrainedParser(gazetteer, classifier, JointModel(trained_model, threads=threads))
    return MusicParser(gazetteer, classifier)


def graph_dir(gazetteer_dir: Path | None) -> Path | None:
    """Where the exported MiniLM graph lives: beside the gazetteer, not in it, because a
    rebuilt gazetteer replaces its folder whole while the graph depends only on the weights."""
    return None if gazetteer_dir is None else gazetteer_dir.parent / "minilm"
