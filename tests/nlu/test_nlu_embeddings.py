"""The MiniLM encoder and prototype classifier: offline, lazy, exported once, faithful to the
model."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import nlu.embeddings
from nlu.embeddings import (
    GROUPS,
    EmbeddingsUnavailable,
    PrototypeClassifier,
    SentenceEncoder,
    default_model_dir,
    graph_path,
)

SENTENCES = [
    "play something relaxing",
    "music for a rainy sunday afternoon",
    "can you make it stop",
    "songs to cry to after a breakup",
    "what's the weather like tomorrow in paris",
    "rock",
]


@pytest.fixture(scope="module")
def encoder(gazetteer_dir: Path) -> SentenceEncoder:
    """The int8 encoder, its graph in the session's gazetteer directory (exported once)."""
    return SentenceEncoder(cache_dir=gazetteer_dir)


def test_the_model_exports_and_loads_offline_even_where_it_cannot_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a cache directory below a file cannot be created
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from nlu.embeddings import SentenceEncoder
        vectors = SentenceEncoder(cache_dir=Path({str(blocker / "cache")!r})).encode(
            ["play something relaxing", "pause"])
        assert vectors.shape == (2, 384), vectors.shape
        """
    )
    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "1",
           "HF_HOME": "/nonexistent-hf-home"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=env, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "exporting MiniLM to a temporary file" in result.stderr


def test_vectors_are_unit_length_and_meaning_is_near(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["calm soothing music", "peaceful relaxing songs", "set an alarm"])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-4)
    similar = float(vectors[0] @ vectors[1])
    unrelated = float(vectors[0] @ vectors[2])
    assert similar > unrelated + 0.2


def test_int8_vectors_stay_close_to_sentence_transformers(encoder: SentenceEncoder) -> None:
    """The reference is the model as its package means it to run (float, batched,
    sentence-transformers' own pooling): the export and the quantization keep its meaning."""
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(default_model_dir()), device="cpu").encode(
        SENTENCES, normalize_embeddings=True
    )
    cosines = np.sum(encoder.encode(SENTENCES) * reference, axis=1)
    assert cosines.min() >= 0.95, cosines
    assert cosines.mean() >= 0.98, cosines


def test_the_float_graph_is_the_model_itself(tmp_path: Path, encoder: SentenceEncoder) -> None:
    from sentence_transformers import SentenceTransformer

    float_encoder = SentenceEncoder(cache_dir=tmp_path, quantize=False)
    assert float_encoder.fingerprint() != encoder.fingerprint()
    reference = SentenceTransformer(str(default_model_dir()), device="cpu").encode(
        SENTENCES, normalize_embeddings=True
    )
    cosines = np.sum(float_encoder.encode(SENTENCES) * reference, axis=1)
    assert cosines.min() >= 0.9999, cosines
    assert graph_path(tmp_path, quantize=False).exists()
    assert not graph_path(tmp_path, quantize=True).exists()


def test_a_sentence_s_vector_does_not_depend_on_its_batch(encoder: SentenceEncoder) -> None:
    alone = encoder.encode([SENTENCES[0]])[0]
    together = encoder.encode(SENTENCES)[0]
    assert np.array_equal(alone, together)


def test_empty_and_very_long_input_give_unit_vectors(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(["", "play some jazz " * 2000])
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-4)
    assert encoder.encode([]).shape == (0, 384)


def test_the_exported_graph_is_reused_not_rebuilt(
    encoder: SentenceEncoder, gazetteer_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = encoder.encode(SENTENCES)
    assert graph_path(gazetteer_dir).exists()

    def no_export(*args: object, **kwargs: object) -> Path:
        raise AssertionError("exported again")

    monkeypatch.setattr(nlu.embeddings, "export_model", no_export)
    again = SentenceEncoder(cache_dir=gazetteer_dir).encode(SENTENCES)
    assert np.array_equal(first, again)


def test_without_onnxruntime_embeddings_are_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    with pytest.raises(EmbeddingsUnavailable, match="onnxruntime"):
        SentenceEncoder().encode(["pause"])


def test_a_failed_export_is_unavailable_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    def broken_export(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unsupported operator")

    monkeypatch.setattr(torch.onnx, "export", broken_export)
    with pytest.raises(EmbeddingsUnavailable, match="cannot export"):
        SentenceEncoder(cache_dir=tmp_path).encode(["pause"])
    assert list(tmp_path.iterdir()) == []


def test_nothing_loads_until_first_use(gazetteer_dir: Path) -> None:
    encoder = SentenceEncoder(cache_dir=gazetteer_dir)
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


def test_a_label_scores_its_nearest_prototype(encoder: SentenceEncoder) -> None:
    """Said word for word, a prototype scores (about) 1 for its own label."""
    label, sentences = next(iter(GROUPS["mood"].items()))
    scores = PrototypeClassifier(encoder).classify(sentences[-1])
    best, score = scores.best("mood")
    assert best == label
    assert score == pytest.approx(1.0, abs=1e-3)


def test_concurrent_requests_get_the_answers_of_sequential_ones(
    encoder: SentenceEncoder,
) -> None:
    classifier = PrototypeClassifier(encoder)
    sequential = [classifier.classify(text) for text in SENTENCES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(classifier.classify, SENTENCES * 3))
    assert concurrent == sequential * 3
