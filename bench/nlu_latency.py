"""NLU latency per utterance: the rule path and the embedding path, against baselines
measured in the same run.

    python bench/nlu_latency.py [--rounds 5] [--tracks 20000] [--threads 1] [--float]

The parser is ``MusicParser`` over a gazetteer built for a synthetic catalog the size of the
embedded default (20,000 tracks, 2,000 artists) plus the evaluation catalog; utterances are
the evaluation test set. Each is parsed ``rounds`` times with the model warm; an utterance
belongs to the embedding path when the parse called the classifier. Baselines: the bare
word cleaner (``clean_words``) and the dependency-free ``RuleParser``. Prints p50 / p99 in
milliseconds and the ratios to the ``RuleParser`` baseline.
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
from datetime import date
from pathlib import Path

from nlu.embeddings import PrototypeClassifier, Scores
from nlu.evaluate import EVAL_DIR, eval_catalog, load_examples
from nlu.gazetteer import build_gazetteer
from nlu.parser import load_parser
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


class CountingClassifier(PrototypeClassifier):
    """Counts classify calls, to tell the embedding path from the rule path."""

    calls = 0

    def classify(self, text: str) -> Scores:
        self.calls += 1
        return super().classify(text)


def timed(fn: Callable[[str], object], texts: Sequence[str], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            fn(text)
            out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rounds", type=int, default=5)
    args.add_argument("--tracks", type=int, default=20_000)
    args.add_argument("--threads", type=int, default=1)
    args.add_argument("--float", action="store_true", help="the float model, not int8")
    opts = args.parse_args(argv)
    texts = [e.text for e in load_examples(EVAL_DIR / "test.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        info = build_gazetteer([*synthetic_catalog(opts.tracks), *eval_catalog()], Path(tmp) / "g")
        built = time.perf_counter() - start
        start = time.perf_counter()
        parser = load_parser(Path(tmp) / "g", threads=opts.threads, quantize=not opts.float)
        loaded = time.perf_counter() - start
        counting = CountingClassifier(parser._classifier._encoder)  # type: ignore[union-attr]
        parser._classifier = counting
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
            "embedding path": timed(parser.parse, embed_texts, opts.rounds),
        }
    base = pct(results["baseline RuleParser"], 0.5)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"date {date.today()}  machine {platform.machine()} {os.cpu_count()} cpus  "
        f"load {load:.2f}  torch threads {opts.threads}  int8 {not opts.float}"
    )
    print(
        f"gazetteer: {info.artists} artists, {info.tracks} titles, {info.albums} albums, "
        f"{info.patterns} patterns; build {built:.1f} s, load {loaded:.2f} s, "
        f"model + prototypes warm {warmed:.1f} s"
    )
    print(f"{'path':<22}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'p50/RuleParser':>16}")
    for name, values in results.items():
        n = len(values) // opts.rounds
        print(
            f"{name:<22}{n:>6}{statistics.median(values):>9.3f}{pct(values, 0.99):>9.3f}"
            f"{statistics.median(values) / base:>16.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
