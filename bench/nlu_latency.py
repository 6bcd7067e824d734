"""NLU latency per utterance: the rule path and the embedding path, against baselines
measured in the same run.

    python bench/nlu_latency.py [--rounds 5] [--tracks 20000] [--threads 1] [--float]
                                [--no-torch-baseline] [--trained-model DIR]
                                [--baseline-model DIR]

The parser is ``MusicParser`` over a gazetteer built for a synthetic catalog the size of the
embedded default (20,000 tracks, 2,000 artists) plus the evaluation catalog; utterances are
the distinct utterances of the evaluation test set. Each is parsed ``rounds`` times with the
model warm; nothing caches a parse or a sentence vector, so every round does the full work.
An utterance belongs to the embedding path when its parse called the classifier.

Baselines: the bare word cleaner (``clean_words``), the dependency-free ``RuleParser``, and
the embedding path as it was before ONNX Runtime (MiniLM in PyTorch with dynamic int8
linears), timed on the same utterances in alternating rounds with the ONNX path so that both
see the same machine load. Prints p50 / p99 in milliseconds and the ratios.

With ``--trained-model`` (an artifact folder of ``philomath nlu train``, e.g. the promoted
one under ``var/work/nlu-models/nlu-joint.v1/<run>/artifact``) it also times the whole
``TrainedParser`` parse (rules, gazetteer, prototypes and the joint model) on the test set and
on real requests (a seeded sample of the vendored corpora), alternating with the
``MusicParser`` on the same utterances, and the joint model alone; ``--baseline-model`` times
another artifact's model alone in the same rounds (the encoder depth's cost).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nlu.embeddings import (
    MAX_TOKENS,
    PrototypeClassifier,
    Scores,
    SentenceEncoder,
    default_model_dir,
    export_model,
    graph_path,
)
from nlu.evaluate import EVAL_DIR, eval_catalog, load_examples
from nlu.gazetteer import build_gazetteer
from nlu.loading import load_parser
from nlu.parser import MusicParser
from nlu.rules import RuleParser
from nlu.text import clean_words
from playback.catalog import Track

WORDS = (
    "Velvet",
    "Electric",
    "Silent",
    "Golden",
    "Neon",
    "Broken",
    "Wild",
    "Hollow",
    "Crimson",
    "Paper",
    "Midnight",
    "Lunar",
    "Static",
    "Gentle",
    "Burning",
    "Northern",
    "Glass",
)
NOUNS = (
    "Foxes",
    "Harbor",
    "Rivers",
    "Machines",
    "Echoes",
    "Gardens",
    "Satellites",
    "Tides",
    "Ghosts",
    "Lanterns",
    "Wolves",
    "Parade",
    "Orchard",
    "Signals",
    "Horizon",
    "Pilots",
)
GENRES = ("pop", "hip-hop", "rock", "electronic", "dance", "r&b", "latin", "indie", "country",
          "metal", "jazz", "classical", "k-pop", "folk", "ambient", "blues", "soul", "reggae",
          "punk", "lo-fi")  # fmt: skip


def synthetic_catalog(n_tracks: int, seed: int = 5) -> list[Track]:
    rng = random.Random(seed)
    n_artists = max(1, n_tracks // 10)

    def name(prefix: str, i: int) -> str:
        return f"{prefix}{rng.choice(WORDS)} {rng.choice(NOUNS)} {i}"

    artists = [(f"AR{i:06d}", name("The ", i)) for i in range(n_artists)]
    tracks = []
    for i in range(n_tracks):
        artist_id, artist = artists[rng.randrange(n_artists)]
        tracks.append(Track(f"TRK{i:08d}", name("", i % 997), artist_id, artist,
                            f"AL{i // 12:06d}", name("", i // 12), rng.choice(GENRES)))  # fmt: skip
    return tracks


def bench_catalog(n_tracks: int = 20_000) -> list[Track]:
    """The gazetteer's catalog: synthetic names at the embedded default's size plus the
    evaluation catalog."""
    return [*synthetic_catalog(n_tracks), *eval_catalog()]


def real_requests(n: int = 600) -> list[str]:
    """A seeded sample of the vendored real corpora."""
    from nlu.training.corpora import real_corpora

    return [u.text for u in random.Random(0).sample(real_corpora(), n)]


class CountingClassifier(PrototypeClassifier):
    """Counts classify calls, to tell the embedding path from the rule path."""

    calls = 0

    def classify(self, text: str) -> Scores:
        self.calls += 1
        return super().classify(text)


class TorchInt8Encoder:
    """The encoder the ONNX graph replaced, kept here as the same-run baseline: MiniLM in
    PyTorch with ``quantize_dynamic`` int8 linears, one sentence per call, ``threads`` torch
    intra-op threads."""

    loaded = True

    def __init__(self, threads: int) -> None:
        import warnings

        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(threads)
        model_dir = default_model_dir()
        self._tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the API is marked deprecated in torch 2.13
            self._model = torch.ao.quantization.quantize_dynamic(  # type: ignore[no-untyped-call]
                model, {torch.nn.Linear}, torch.qint8
            )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        batch = self._tokenizer(list(texts), padding=True, truncation=True,
                                max_length=MAX_TOKENS, return_tensors="pt")  # fmt: skip
        with torch.inference_mode():
            hidden = self._model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        vectors: Any = torch.nn.functional.normalize(pooled, dim=1)
        return np.asarray(vectors.numpy())


def timed(fn: Callable[[str], object], texts: Sequence[str], rounds: int = 1) -> list[float]:
    out = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            fn(text)
            out.append((time.perf_counter() - start) * 1000)
    return out


def alternating(
    fns: dict[str, Callable[[str], object]], texts: Sequence[str], rounds: int
) -> dict[str, list[float]]:
    """Round after round, each function over all texts in turn: a load spike lands on both."""
    out: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            out[name].extend(timed(fn, texts))
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def trained_paths(
    opts: argparse.Namespace, gazetteer: Any, classifier: Any, texts: Sequence[str]
) -> dict[str, list[float]]:
    """The whole TrainedParser parse against the MusicParser, alternating, on the test set
    and on 600 real requests."""
    from nlu.joint_model import JointModel
    from nlu.trained_parser import TrainedParser

    model = JointModel(opts.trained_model, threads=opts.threads)
    trained = TrainedParser(gazetteer, classifier, model)
    trained.warm()
    music = MusicParser(gazetteer, classifier)
    real = real_requests()
    results: dict[str, list[float]] = {}
    for label, sample in (("test set", texts), ("real requests", real)):
        timed(trained.parse, sample)  # warm
        both = alternating(
            {f"trained parser, {label}": trained.parse, f"baseline MusicParser, {label}":
             music.parse}, sample, opts.rounds)  # fmt: skip
        results |= both
    models = {"joint model alone, real requests": model}
    if opts.baseline_model is not None:  # e.g. the deeper encoder, in the same rounds
        models["baseline joint model, real requests"] = JointModel(opts.baseline_model)
    for each in models.values():
        each.warm()
    results |= alternating(
        {label: _predicting(each) for label, each in models.items()}, real, opts.rounds
    )
    return results


def _predicting(model: Any) -> Callable[[str], object]:
    return lambda text: model.predict(clean_words(text) or ["x"])


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rounds", type=int, default=5)
    args.add_argument("--tracks", type=int, default=20_000)
    args.add_argument("--threads", type=int, default=1, help="intra-op threads of the model")
    args.add_argument("--float", action="store_true", help="the float graph, not int8")
    args.add_argument("--no-torch-baseline", action="store_true",
                      help="skip the PyTorch int8 embedding baseline")  # fmt: skip
    args.add_argument("--trained-model", type=Path, default=None,
                      help="also time the TrainedParser with this model artifact")  # fmt: skip
    args.add_argument("--baseline-model", type=Path, default=None,
                      help="with --trained-model: time this artifact's model alone beside "
                      "it, alternating (e.g. a deeper encoder)")  # fmt: skip
    opts = args.parse_args(argv)
    texts = list(dict.fromkeys(e.text for e in load_examples(EVAL_DIR / "test.jsonl")))
    with tempfile.TemporaryDirectory() as tmp:
        gazetteer_dir = Path(tmp) / "g"
        start = time.perf_counter()
        info = build_gazetteer(bench_catalog(opts.tracks), gazetteer_dir)
        built = time.perf_counter() - start
        start = time.perf_counter()
        export_model(graph_path(gazetteer_dir, quantize=not opts.float), quantize=not opts.float)
        exported = time.perf_counter() - start
        start = time.perf_counter()
        gazetteer = load_parser(gazetteer_dir, embeddings=False).gazetteer
        encoder = SentenceEncoder(cache_dir=gazetteer_dir, threads=opts.threads,
                                  quantize=not opts.float)  # fmt: skip
        counting = CountingClassifier(encoder)
        parser = MusicParser(gazetteer, counting)
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        parser.warm()
        warmed = time.perf_counter() - start
        rule_texts: list[str] = []
        embed_texts: list[str] = []
        for text in texts:  # sort utterances by path (this pass also warms caches)
            before = counting.calls
            parser.parse(text)
            (embed_texts if counting.calls > before else rule_texts).append(text)
        rules = RuleParser(info.genres)
        results = {
            "baseline clean_words": timed(clean_words, texts, opts.rounds),
            "baseline RuleParser": timed(rules.parse, texts, opts.rounds),
            "rule path": timed(parser.parse, rule_texts, opts.rounds),
        }
        embedding = f"embedding path ({'float' if opts.float else 'int8'} ONNX)"
        paths: dict[str, Callable[[str], object]] = {embedding: parser.parse}
        if not opts.no_torch_baseline:
            old = MusicParser(gazetteer, PrototypeClassifier(TorchInt8Encoder(opts.threads)))
            timed(old.parse, embed_texts)  # warm
            paths["baseline: torch int8"] = old.parse
        results |= alternating(paths, embed_texts, opts.rounds)
        if opts.trained_model is not None:
            results |= trained_paths(opts, gazetteer, counting, texts)
    base = statistics.median(results["baseline RuleParser"])
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  machine {platform.machine()} "
        f"{os.cpu_count()} cpus  load {load:.2f}  threads {opts.threads}  "
        f"rounds {opts.rounds}  int8 {not opts.float}"
    )
    print(
        f"gazetteer: {info.artists} artists, {info.tracks} titles, {info.albums} albums, "
        f"{info.patterns} patterns; build {built:.1f} s, graph export {exported:.1f} s, "
        f"load {loaded:.2f} s, model + prototypes warm {warmed:.2f} s"
    )
    print(f"{'path':<30}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'p50/RuleParser':>16}")
    for name, values in results.items():
        n = len(values) // opts.rounds
        print(
            f"{name:<30}{n:>6}{statistics.median(values):>9.3f}{pct(values, 0.99):>9.3f}"
            f"{statistics.median(values) / base:>16.2f}"
        )
    if "baseline: torch int8" in results:
        new, old_values = results[embedding], results["baseline: torch int8"]
        print(
            f"embedding path / torch int8 baseline: p50 "
            f"{statistics.median(new) / statistics.median(old_values):.2f}, "
            f"p99 {pct(new, 0.99) / pct(old_values, 0.99):.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
