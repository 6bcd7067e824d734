"""Which parses a parser change moves, and how often the prototype classifier is asked.

    python -m bench.nlu_parse_diff --trained-model DIR --save before.json   # at the old commit
    python -m bench.nlu_parse_diff --trained-model DIR --compare before.json

Parses every real utterance (the vendored Snips and SLURP corpora) and the own test set with
the ``TrainedParser`` over the same gazetteer as ``bench/nlu_latency.py`` (a synthetic catalog
the size of the embedded default plus the evaluation catalog) and the model artifact given
(``var/work/nlu-models/nlu-joint.v1/<run>/artifact``). Prints how many parses asked the
prototype classifier: those run two encoders and make the latency's p99. ``--compare`` prints
each parse that differs from a saved run, with the corpus's own labels beside it, so a change
to the rules around the model is judged on what it moves. A model trained on these corpora
(the promoted one is) flatters the parses themselves: only the differences mean anything.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.nlu_latency import CountingClassifier, bench_catalog, real_requests
from nlu.embeddings import SentenceEncoder, export_model, graph_path
from nlu.evaluate import EVAL_DIR, load_examples
from nlu.gazetteer import build_gazetteer
from nlu.joint_model import JointModel
from nlu.loading import load_parser
from nlu.parsed import ParsedRequest
from nlu.trained_parser import TrainedParser
from nlu.training.corpora import real_corpora


def summary(parsed: ParsedRequest) -> list[object]:
    return [parsed.intent, {name: slot.text for name, slot in parsed.slots.items()}]


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--trained-model", type=Path, required=True)
    args.add_argument("--save", type=Path, help="write the parses here (JSON)")
    args.add_argument("--compare", type=Path, help="print parses that differ from this file")
    opts = args.parse_args(argv)
    corpora = real_corpora()
    labels = {u.text: [u.intent, u.spans()] for u in corpora}
    sampled = set(real_requests())
    sets = {
        "real utterances": list(dict.fromkeys(u.text for u in corpora)),
        "own test set": list(dict.fromkeys(e.text for e in load_examples(EVAL_DIR / "test.jsonl"))),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "g"
        build_gazetteer(bench_catalog(), folder)
        export_model(graph_path(folder, quantize=True), quantize=True)
        classifier = CountingClassifier(SentenceEncoder(cache_dir=folder, threads=1))
        parser = TrainedParser(load_parser(folder, embeddings=False).gazetteer, classifier,
                               JointModel(opts.trained_model, threads=1))  # fmt: skip
        parser.warm()
        parses: dict[str, dict[str, list[object]]] = {}
        for name, texts in sets.items():
            parses[name] = {}
            asked = asked_sampled = 0
            for text in texts:
                before = classifier.calls
                parses[name][text] = summary(parser.parse(text))
                if classifier.calls > before:
                    asked += 1
                    asked_sampled += text in sampled
            line = f"{name}: {len(texts)} parsed, {asked} asked the prototype classifier"
            if name == "real utterances":
                line += f" ({asked_sampled} of bench/nlu_latency.py's {len(sampled)})"
            print(line)
    if opts.save is not None:
        opts.save.write_text(json.dumps(parses, indent=1, ensure_ascii=False), "utf-8")
    if opts.compare is not None:
        old = json.loads(opts.compare.read_text("utf-8"))
        for name, now in parses.items():
            moved = [t for t, p in now.items() if t in old.get(name, {}) and old[name][t] != p]
            print(f"{name}: {len(moved)} parses differ from {opts.compare}")
            for text in moved:
                print(f"  {text!r}\n    before {old[name][text]}\n    after  {now[text]}")
                if text in labels:
                    print(f"    labels {labels[text]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
