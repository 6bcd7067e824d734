"""Shared fixtures for the NLU tests: the evaluation catalog's gazetteer, built once, and the
music parser over it (the embedding model loads once per session, offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.evaluate import eval_catalog
from nlu.gazetteer import build_gazetteer
from nlu.loading import load_parser
from nlu.parser import MusicParser


@pytest.fixture(scope="session")
def gazetteer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("nlu") / "gazetteer"
    build_gazetteer(eval_catalog(), path)
    return path


@pytest.fixture(scope="session")
def music_parser(gazetteer_dir: Path) -> MusicParser:
    """Gazetteer, fuzzy names and embeddings: the full parser."""
    parser = load_parser(gazetteer_dir)
    parser.warm()
    return parser


@pytest.fixture(scope="session")
def catalog_parser(gazetteer_dir: Path) -> MusicParser:
    """Gazetteer and fuzzy names, no embeddings."""
    return load_parser(gazetteer_dir, embeddings=False)
