"""k-fold cross-validation of the trained parser over the real corpora: no utterance is scored
by a model that saw it.

The real corpora (Snips and SLURP together) are shuffled with the seed and dealt into ``folds``
folds. For each fold a model is trained on the other folds plus utterances generated from
templates with the other folds' names only, exported as served (int8), and the whole
``TrainedParser`` (rules, gazetteer over the evaluation catalog, model) parses the held-out
fold. The held-out parses of every fold are pooled per report (``report_name``).

With ``fold_models`` the fold artifacts are kept in that folder, named by a digest of what
trained them (the fold's training set, the config and the recipe), and reused when the same
digest comes again: a change to the parser around the model is re-scored in a minute, while
a change to the training data or config trains afresh.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from nlu.evaluate import TextParser, eval_catalog, eval_parser
from nlu.parsed import ParsedRequest
from nlu.rules import RuleParser
from nlu.training.config import DEFAULT_CONFIG, TrainConfig
from nlu.training.corpora import real_corpora
from nlu.training.examples import LabeledUtterance
from nlu.training.joint import RECIPE, Progress, export, train
from nlu.training.scoring import CorpusReport, pool
from nlu.training.synthetic import generate

NAME_KINDS = ("artist", "track", "album", "playlist")


RARE_NAMES = ("album", "track")  # the kinds real requests name least, and confuse most
RARE_REPEATS = 3


def training_set(real: Sequence[LabeledUtterance], *, seed: int) -> list[LabeledUtterance]:
    """``real`` plus the generated utterances filled with ``real``'s own names; utterances
    naming an album or a track count ``RARE_REPEATS`` times (Snips has ten times fewer of
    them than of artists, and "play X by Y" is the same carrier for both)."""
    repeated = [u for u in real if any(kind in RARE_NAMES for kind, _ in u.spans())]
    return [*real, *(repeated * (RARE_REPEATS - 1)), *generate(names_of(real), seed=seed)]


def report_name(utterance: LabeledUtterance) -> str:
    """Which report an utterance counts in: ``snips`` is Snips PlayMusic (the benchmark's
    figures are for it), ``snips_addtoplaylist`` the other Snips intent, ``slurp`` SLURP."""
    if utterance.corpus == "snips" and utterance.source_intent == "AddToPlaylist":
        return "snips_addtoplaylist"
    return utterance.corpus


def names_of(utterances: Sequence[LabeledUtterance]) -> dict[str, list[str]]:
    """The artist, track, album and playlist names the utterances tag, first seen first."""
    names: dict[str, dict[str, None]] = defaultdict(dict)
    for utterance in utterances:
        for kind, text in utterance.spans():
            if kind in NAME_KINDS:
                names[kind][text] = None
    return {kind: list(found) for kind, found in names.items()}


def deal(count: int, folds: int, seed: int) -> list[int]:
    """The fold of each of ``count`` utterances: shuffled with ``seed``, dealt round robin."""
    if not 2 <= folds <= count:
        raise ValueError(f"folds must be between 2 and the number of utterances ({count})")
    order = list(range(count))
    random.Random(seed).shuffle(order)
    fold_of = [0] * count
    for position, index in enumerate(order):
        fold_of[index] = position % folds
    return fold_of


def cross_validate(
    *,
    folds: int = 5,
    config: TrainConfig = DEFAULT_CONFIG,
    utterances: Sequence[LabeledUtterance] | None = None,
    on_fold: Callable[[int, int], Progress | None] | None = None,
    fold_models: Path | None = None,
) -> dict[str, CorpusReport]:
    """Reports per corpus (see the module docstring). ``utterances`` default to both real
    corpora; ``on_fold(fold, folds)`` may return a per-step progress callback;
    ``fold_models`` keeps and reuses the fold artifacts."""
    data = list(utterances) if utterances is not None else real_corpora()
    fold_of = deal(len(data), folds, config.seed)
    parsed: dict[str, list[tuple[LabeledUtterance, ParsedRequest]]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="philomath-nlu-cv-") as tmp:
        gazetteer = Path(tmp) / "gazetteer"
        for fold in range(folds):
            held_out = [u for u, f in zip(data, fold_of, strict=True) if f == fold]
            kept = [u for u, f in zip(data, fold_of, strict=True) if f != fold]
            examples = training_set(kept, seed=config.seed + fold)
            folder = (fold_models or Path(tmp)) / f"fold-{fold}-{training_digest(examples, config)}"
            if not (folder / "meta.json").is_file():
                progress = on_fold(fold, folds) if on_fold is not None else None
                model = train(examples, config, progress=progress)
                partial = folder.with_name(folder.name + ".partial")  # a killed run leaves
                shutil.rmtree(partial, ignore_errors=True)  # no half model to reuse
                export(model, partial, config=config, extra={"fold": fold, "folds": folds})
                partial.rename(folder)
            parser = eval_parser(gazetteer, trained_model=folder)
            for utterance in held_out:
                parsed[report_name(utterance)].append((utterance, parser.parse(utterance.text)))
    return {corpus: pool(corpus, pairs) for corpus, pairs in sorted(parsed.items())}


def training_digest(examples: Sequence[LabeledUtterance], config: TrainConfig) -> str:
    """A short digest of everything that decides a trained model: the examples in order,
    the config and the recipe."""
    digest = hashlib.sha256(f"{RECIPE}|{json.dumps(config.as_dict(), sort_keys=True)}".encode())
    for example in examples:
        digest.update(f"\n{example.intent}|{' '.join(example.words)}|{' '.join(example.tags)}"
                      .encode())  # fmt: skip
    return digest.hexdigest()[:16]


def baseline_reports(
    *,
    rules: bool = False,
    embeddings: bool = True,
    utterances: Sequence[LabeledUtterance] | None = None,
) -> dict[str, CorpusReport]:
    """The parser without a trained model (rules, gazetteer, prototypes; with ``rules`` the
    plain ``RuleParser``) on every real utterance: nothing is trained, nothing held out."""
    data = list(utterances) if utterances is not None else real_corpora()
    parsed: dict[str, list[tuple[LabeledUtterance, ParsedRequest]]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="philomath-nlu-baseline-") as tmp:
        parser: TextParser
        if rules:
            parser = RuleParser(sorted({t.genre for t in eval_catalog() if t.genre}))
        else:
            parser = eval_parser(Path(tmp) / "gazetteer", embeddings=embeddings)
        for utterance in data:
            parsed[report_name(utterance)].append((utterance, parser.parse(utterance.text)))
    return {corpus: pool(corpus, pairs) for corpus, pairs in sorted(parsed.items())}
