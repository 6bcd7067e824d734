"""The trained intent and slot model at serving time: one int8 ONNX graph on onnxruntime.

MiniLM (fine-tuned by ``nlu.training.joint``) reads a request's clean words and gives an intent
label (``nlu.training.examples.INTENT_LABELS``: our intents and ``out_of_scope:<reason>``) with
its probability, and one BIO tag per word from the word's first sub-word. No torch here: the
artifact folder holds ``model.onnx``, the tokenizer and ``labels.json``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

GRAPH = "model.onnx"
LABELS = "labels.json"
TOKENIZER = "tokenizer.json"
MAX_TOKENS = 64  # a spoken request is far shorter; longer text is cut, not refused


class JointModelUnavailable(Exception):
    """The artifact is missing or broken, or onnxruntime / tokenizers is not installed."""


@dataclass(frozen=True, slots=True)
class Prediction:
    """The model's reading of one request: the best intent label, its probability, the
    runner-up's, and one tag per word."""

    intent: str
    probability: float
    runner_up: tuple[str, float]
    tags: tuple[str, ...]


class Tagger(Protocol):
    """What the trained parser needs of a model (``JointModel``, or a scripted fake)."""

    def warm(self) -> None: ...

    def predict(self, words: Sequence[str]) -> Prediction: ...


class JointModel:
    """Loads the artifact in ``folder`` on first use (or ``warm()``). Thread safe."""

    def __init__(self, folder: Path, *, threads: int = 1) -> None:
        self.folder = folder
        self._threads = threads
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any, tuple[str, ...], tuple[str, ...]] | None = None

    def warm(self) -> None:
        self._load()

    def predict(self, words: Sequence[str]) -> Prediction:
        """Read ``words`` (``nlu.text.clean_words`` of the request, not empty)."""
        tokenizer, session, intents, tags = self._load()
        encoding = tokenizer.encode(list(words), is_pretokenized=True)
        ids = np.asarray([encoding.ids], dtype=np.int64)
        tag_logits, intent_logits = session.run(
            None, {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        )
        probabilities = _softmax(intent_logits[0])
        order = np.argsort(-probabilities)
        first, second = int(order[0]), int(order[1])
        first_pieces: dict[int, int] = {}
        for position, word in enumerate(encoding.word_ids):
            if word is not None and word not in first_pieces:  # a word's first sub-word tags it
                first_pieces[word] = position
        tagged = sorted(first_pieces)
        scores = _log_softmax(tag_logits[0, [first_pieces[w] for w in tagged]])
        word_tags = ["O"] * len(words)  # words past the token budget stay untagged
        for word, tag in zip(tagged, viterbi(scores, tags), strict=True):
            word_tags[word] = tag
        return Prediction(
            intent=intents[first],
            probability=float(probabilities[first]),
            runner_up=(intents[second], float(probabilities[second])),
            tags=tuple(word_tags),
        )

    def _load(self) -> tuple[Any, Any, tuple[str, ...], tuple[str, ...]]:
        with self._lock:
            if self._loaded is None:
                self._loaded = _read(self.folder, self._threads)
            return self._loaded


def _read(folder: Path, threads: int) -> tuple[Any, Any, tuple[str, ...], tuple[str, ...]]:
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise JointModelUnavailable("install philomath[nlp] for onnxruntime") from exc
    try:
        labels = json.loads((folder / LABELS).read_text("utf-8"))
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(
            str(folder / GRAPH), options, providers=["CPUExecutionProvider"]
        )
    except (OSError, ValueError, KeyError) as exc:
        raise JointModelUnavailable(f"cannot load the NLU model in {folder}: {exc}") from exc
    except Exception as exc:  # onnxruntime's and the Rust tokenizer's own error types
        raise JointModelUnavailable(f"cannot load the NLU model in {folder}: {exc}") from exc
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer, session, tuple(labels["intents"]), tuple(labels["tags"])


def viterbi(scores: np.ndarray, tags: Sequence[str]) -> list[str]:
    """The best BIO sequence for per-word tag log-probabilities ``scores`` (words x tags)
    among the well-formed ones: an ``I-x`` only after ``B-x`` or ``I-x``. Argmax per word
    would split one name into pieces of different kinds ("the" a track, "way it has to be"
    an album); the best whole sequence keeps a span in one kind."""
    if not len(scores):
        return []
    allowed, start = _transitions(tuple(tags))
    best = scores[0] + start
    back = []
    columns = np.arange(len(tags))
    for row in scores[1:]:
        candidates = best[:, None] + allowed  # previous tag x next tag
        pointers = candidates.argmax(axis=0)
        back.append(pointers)
        best = candidates[pointers, columns] + row
    path = [int(np.argmax(best))]
    for pointers in reversed(back):
        path.append(int(pointers[path[-1]]))
    return [tags[i] for i in reversed(path)]


_TRANSITIONS: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}


def _transitions(tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """0 where a tag may follow another (or start a request), -inf where it may not."""
    found = _TRANSITIONS.get(tags)
    if found is None:
        table = np.zeros((len(tags), len(tags)))
        for j, tag in enumerate(tags):
            if tag.startswith("I-"):
                kind = tag[2:]
                for i, previous in enumerate(tags):
                    if previous[2:] != kind:
                        table[i, j] = -np.inf
        start = np.where([t.startswith("I-") for t in tags], -np.inf, 0.0)
        found = _TRANSITIONS[tags] = (table, start)
    return found


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    result: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return result


def _softmax(logits: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.exp(_log_softmax(logits))
    return result
