"""Scoring a parser on a labelled set: intent accuracy, per-slot precision / recall / F1,
exact match and latency; ``philomath nlu evaluate`` runs ``evaluate_set``.

The sets live in ``nlu/eval`` (see ``nlu/eval/author.py``): ``test.jsonl`` is the held-out
set, ``dev.jsonl`` the one the rules and prototypes were tuned on. Names resolve against the
evaluation catalog ``nlu/eval/catalog.jsonl`` through a gazetteer built for the run, so the
offline build, the load and the fuzzy lookup are all exercised. Slot values are compared by
``name_key`` (case, accents and punctuation do not count).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from nlu.parsed import ParsedRequest
from nlu.text import name_key

EVAL_DIR = Path(__file__).resolve().parent / "eval"
SLOTS = ("artist", "track", "album", "playlist", "genre", "mood", "activity", "era", "sort",
         "item_type", "part_of_day", "recurrence", "routine")  # fmt: skip


class TextParser(Protocol):
    def parse(self, text: str, *, assume_play: bool = False) -> ParsedRequest: ...


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    slots: dict[str, str]
    tag: str = ""


@dataclass(frozen=True, slots=True)
class SlotScore:
    precision: float
    recall: float
    f1: float
    support: int

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4), "support": self.support}  # fmt: skip


@dataclass
class Report:
    """What ``evaluate`` measured; ``errors`` lists the examples it got wrong."""

    examples: int
    intent_accuracy: float
    exact_match: float
    slots: dict[str, SlotScore]
    latency_ms: dict[str, float]
    by_tag: dict[str, float]
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "intent_accuracy": round(self.intent_accuracy, 4),
            "exact_match": round(self.exact_match, 4),
            "slots": {name: s.as_dict() for name, s in self.slots.items()},
            "latency_ms": self.latency_ms,
            "exact_match_by_tag": self.by_tag,
        }


def load_examples(path: Path) -> list[Example]:
    examples = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(Example(row["text"], row["intent"], row["slots"], row.get("tag", "")))
    return examples


def evaluate(parser: TextParser, examples: Sequence[Example]) -> Report:
    """Parse every example once and score it; latency is per ``parse`` call."""
    correct_intents = exact = 0
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    timings: list[float] = []
    tag_total: Counter[str] = Counter()
    tag_exact: Counter[str] = Counter()
    errors = []
    for example in examples:
        start = time.perf_counter()
        parsed = parser.parse(example.text)
        timings.append((time.perf_counter() - start) * 1000)
        got = {name: name_key(slot.value) for name, slot in parsed.slots.items()}
        want = {name: name_key(value) for name, value in example.slots.items()}
        for name in SLOTS:
            if name in got and got.get(name) == want.get(name):
                counts[name]["tp"] += 1
            else:
                counts[name]["fp"] += name in got
                counts[name]["fn"] += name in want
        intent_ok = parsed.intent == example.intent or (
            # Another domain's request answered as out of scope: neither plays music.
            example.intent == "fallback" and parsed.intent == "out_of_scope"
        )
        correct_intents += intent_ok
        is_exact = intent_ok and got == want
        exact += is_exact
        tag_total[example.tag] += 1
        tag_exact[example.tag] += is_exact
        if not is_exact:
            errors.append({"text": example.text, "want": [example.intent, want],
                           "got": [parsed.intent, got, parsed.reason]})  # fmt: skip
    n = max(1, len(examples))
    return Report(
        examples=len(examples),
        intent_accuracy=correct_intents / n,
        exact_match=exact / n,
        slots={name: slot_score(counts[name]) for name in SLOTS},
        latency_ms=_latency(timings),
        by_tag={tag: round(tag_exact[tag] / tag_total[tag], 3) for tag in sorted(tag_total)},
        errors=errors,
    )


def eval_catalog(path: Path = EVAL_DIR / "catalog.jsonl") -> list[Any]:
    """The evaluation catalog's tracks."""
    from playback.catalog import Track

    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [Track(**row) for row in rows]


def eval_parser(
    gazetteer_dir: Path, *, embeddings: bool = True, trained_model: Path | None = None
) -> TextParser:
    """A ``MusicParser`` (a ``TrainedParser`` with ``trained_model``) over the evaluation
    catalog, its gazetteer built in ``gazetteer_dir`` unless it is there already."""
    from nlu.gazetteer import build_gazetteer
    from nlu.loading import load_parser

    if not (gazetteer_dir / "info.json").exists():
        build_gazetteer(eval_catalog(), gazetteer_dir)
    parser = load_parser(gazetteer_dir, embeddings=embeddings, trained_model=trained_model)
    parser.warm()
    return parser


def format_report(report: Report, name: str) -> str:
    lines = [
        f"NLU evaluation on {name}: {report.examples} utterances",
        f"  intent accuracy {report.intent_accuracy:.3f}   exact match {report.exact_match:.3f}",
        "  latency ms: " + "  ".join(f"{k} {v}" for k, v in report.latency_ms.items()),
        "  slot        precision  recall   f1   support",
    ]
    for slot, score in report.slots.items():
        if score.support or score.precision:
            lines.append(f"  {slot:<11} {score.precision:>8.3f} {score.recall:>7.3f} "
                         f"{score.f1:>6.3f} {score.support:>7}")  # fmt: skip
    lines.append("  exact match by tag: " + ", ".join(f"{t or '-'} {v}" for t, v in
                                                       report.by_tag.items()))  # fmt: skip
    return "\n".join(lines)


def set_path(name: str) -> Path:
    """``test`` or ``dev`` (the sets in ``nlu/eval``), or a .jsonl file."""
    return EVAL_DIR / f"{name}.jsonl" if name in ("test", "dev") else Path(name)


def evaluate_set(
    name: str, *, rules: bool = False, embeddings: bool = True, trained_model: Path | None = None
) -> Report:
    """Score the catalog-aware parser (with the trained model in ``trained_model``, if given;
    or, with ``rules``, the plain RuleParser, the baseline) on the set ``name`` (see
    ``set_path``)."""
    examples = load_examples(set_path(name))
    with tempfile.TemporaryDirectory(prefix="philomath-nlu-eval-") as tmp:
        parser: TextParser
        if rules:
            from nlu.rules import RuleParser

            parser = RuleParser(sorted({t.genre for t in eval_catalog() if t.genre}))
        else:
            parser = eval_parser(
                Path(tmp) / "gazetteer", embeddings=embeddings, trained_model=trained_model
            )
        return evaluate(parser, examples)


def slot_score(counts: Counter[str]) -> SlotScore:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SlotScore(precision, recall, f1, tp + fn)


def _latency(timings: Iterable[float]) -> dict[str, float]:
    ordered = sorted(timings)
    if not ordered:
        return {"p50": 0.0, "p99": 0.0}
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {"p50": round(statistics.median(ordered), 3), "p99": round(p99, 3)}
