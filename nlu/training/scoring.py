"""Scoring a parser on labelled real utterances: intent accuracy with a confusion table,
per-slot precision, recall and F1 by exact span (after ``name_key`` normalisation), and the
SLURP families issue 11 names (music intents' accuracy, how often a podcast, audiobook or
volume request starts music).

A parsed request's label is its intent, or ``out_of_scope:<reason>``; a ``fallback`` answers
an out-of-scope ``other`` request correctly too (neither starts music).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nlu.evaluate import SlotScore, TextParser, slot_score
from nlu.parsed import ParsedRequest
from nlu.text import name_key
from nlu.training.corpora import SETTING_INTENTS, SLURP_MUSIC, SLURP_NOT_MUSIC
from nlu.training.examples import LabeledUtterance

SCORED_SLOTS = ("artist", "track", "album", "playlist", "genre", "era", "sort", "item_type")


@dataclass
class CorpusReport:
    """What ``score`` measured on one corpus (all folds pooled)."""

    corpus: str
    utterances: int
    intent_accuracy: float
    slots: dict[str, SlotScore]
    families: dict[str, dict[str, float]]  # source intent -> accuracy / started-music rate
    confusion: list[tuple[str, str, int]]  # (want, got, count), most frequent first
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "utterances": self.utterances,
            "intent_accuracy": round(self.intent_accuracy, 4),
            "slots": {name: s.as_dict() for name, s in self.slots.items() if s.support},
            "families": self.families,
            "confusion": [list(row) for row in self.confusion[:25]],
        }


def label_of(parsed: ParsedRequest) -> str:
    """The parse as a training label: the intent, or ``out_of_scope:<reason>``."""
    if parsed.intent == "out_of_scope":
        return f"out_of_scope:{parsed.reason}"
    return parsed.intent


def intent_correct(want: str, got: str) -> bool:
    """Right, or an equally safe answer: a fallback for another domain, any setting for a
    settings request split by words."""
    if want == got:
        return True
    if want == "out_of_scope:other" and got == "fallback":
        return True
    return want in SETTING_INTENTS and got in SETTING_INTENTS


def score(parser: TextParser, utterances: Sequence[LabeledUtterance], corpus: str) -> CorpusReport:
    """Parse every utterance once and score it."""
    return pool(corpus, [(u, parser.parse(u.text)) for u in utterances])


def pool(corpus: str, parsed: Iterable[tuple[LabeledUtterance, ParsedRequest]]) -> CorpusReport:
    """The report over (utterance, parse) pairs, e.g. every fold's held-out parses."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    family_total: Counter[str] = Counter()
    family_right: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    errors: list[dict[str, Any]] = []
    n = right = 0
    for utterance, result in parsed:
        n += 1
        got_label = label_of(result)
        ok = intent_correct(utterance.intent, got_label)
        right += ok
        if not ok:
            confusion[(utterance.intent, got_label)] += 1
        family = utterance.source_intent
        family_total[family] += 1
        if family in SLURP_NOT_MUSIC:
            family_right[family] += result.intent == "play_music"
        else:
            family_right[family] += ok
        if utterance.intent.startswith("out_of_scope:"):  # nothing of it is played: its
            if not ok:  # names are the tagger's business, not the answer's
                errors.append({"text": utterance.text, "want": [utterance.intent, []],
                               "got": [got_label, []]})  # fmt: skip
            continue
        got: Counter[tuple[str, str]] = Counter(
            (k, name_key(s.text)) for k, s in result.slots.items() if k in SCORED_SLOTS
        )
        want = Counter((k, name_key(t)) for k, t in utterance.spans() if k in SCORED_SLOTS)
        for (kind, _), c in (got & want).items():
            counts[kind]["tp"] += c
        for (kind, _), c in (got - want).items():
            counts[kind]["fp"] += c
        for (kind, _), c in (want - got).items():
            counts[kind]["fn"] += c
        if not ok or got != want:
            errors.append({"text": utterance.text, "want": [utterance.intent, sorted(want)],
                           "got": [got_label, sorted(got)]})  # fmt: skip
    families = {
        name: {("started_music" if name in SLURP_NOT_MUSIC else "accuracy"):
               round(family_right[name] / family_total[name], 4), "n": family_total[name]}
        for name in sorted(family_total)
    }  # fmt: skip
    return CorpusReport(
        corpus=corpus,
        utterances=n,
        intent_accuracy=right / max(1, n),
        slots={kind: slot_score(counts[kind]) for kind in SCORED_SLOTS},
        families=families,
        confusion=[(w, g, c) for (w, g), c in confusion.most_common()],
        errors=errors,
    )


def music_summary(report: CorpusReport) -> dict[str, float]:
    """SLURP's music intents' pooled accuracy and the share of podcast, audiobook and volume
    requests that started music."""
    music = [report.families[f] for f in SLURP_MUSIC if f in report.families]
    not_music = [report.families[f] for f in SLURP_NOT_MUSIC if f in report.families]

    def pooled(rows: list[dict[str, float]], key: str) -> float:
        total = sum(r["n"] for r in rows)
        return round(sum(r[key] * r["n"] for r in rows) / total, 4) if total else 0.0

    return {
        "music_intent_accuracy": pooled(music, "accuracy"),
        "not_music_started_music": pooled(not_music, "started_music"),
    }


def format_corpus_report(report: CorpusReport) -> str:
    lines = [
        f"{report.corpus}: {report.utterances} utterances, intent accuracy "
        f"{report.intent_accuracy:.3f}",
        "  slot        precision  recall   f1   support",
    ]
    for slot, s in report.slots.items():
        if s.support:
            lines.append(f"  {slot:<11} {s.precision:>8.3f} {s.recall:>7.3f} {s.f1:>6.3f} "
                         f"{s.support:>7}")  # fmt: skip
    if report.corpus == "slurp":
        summary = music_summary(report)
        lines.append(f"  music intents accuracy {summary['music_intent_accuracy']:.3f}; "
                     f"podcast/audiobook/volume started music "
                     f"{summary['not_music_started_music']:.3f}")  # fmt: skip
    if report.confusion:
        lines.append("  most confused (want -> got: count): " + ", ".join(
            f"{w} -> {g}: {c}" for w, g, c in report.confusion[:8]))  # fmt: skip
    return "\n".join(lines)
