"""The MiniLM encoder and prototype classifier: offline, lazy, cached."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nlu.embeddings import GROUPS, PrototypeClassifier, SentenceEncoder


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder(quantize=True)


def test_the_model_loads_from_the_package_with_the_hub_unreachable() -> None:
    script = textwrap.dedent(
        """
        from nlu.embeddings import SentenceEncoder
        vectors = SentenceEncoder().encode(["play something relaxing", "pause"])
        assert tuple(vectors.shape) == (2, 384)
        """
    )
    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "1",
           "HF_HOME": "/nonexistent-hf-home"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_vectors_are_unit_length_and_meaning_is_near(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["calm soothing music", "peaceful relaxing songs", "set an alarm"])
    norms = vectors.norm(dim=1).tolist()
    assert norms == pytest.approx([1.0, 1.0, 1.0], abs=1e-4)
    similar = float(vectors[0] @ vectors[1])
    unrelated = float(vectors[0] @ vectors[2])
    assert similar > unrelated + 0.2


def test_nothing_loads_until_first_use() -> None:
    encoder = SentenceEncoder()
    classifier = PrototypeClassifier(encoder)
    assert not encoder.loaded
    classifier.classify("music for a rainy day")
    assert encoder.loaded


def test_every_group_is_scored_best_first(encoder: SentenceEncoder) -> None:
    scores = PrototypeClassifier(encoder).classify("songs to cry to after a breakup")
    assert set(scores.groups) == set(GROUPS)
    for group, labels in GROUPS.items():
        ranked = scores.groups[group]
        assert {label for label, _ in ranked} == set(labels)
        assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)
    assert scores.best("mood")[0] == "sad"
    assert scores.margin("mood") >= 0


def test_prototype_vectors_are_cached_and_a_stale_cache_is_ignored(
    encoder: SentenceEncoder, tmp_path: Path
) -> None:
    cache = tmp_path / "prototypes.pt"
    first = PrototypeClassifier(encoder, cache_path=cache).classify("a quiet evening")
    assert cache.exists()
    again = PrototypeClassifier(encoder, cache_path=cache).classify("a quiet evening")
    assert again == first
    float_encoder = SentenceEncoder(quantize=False)  # another fingerprint: recomputed
    assert float_encoder.fingerprint() != encoder.fingerprint()
    cache.write_bytes(b"not a torch file")
    assert PrototypeClassifier(encoder, cache_path=cache).classify("a quiet evening") == first
