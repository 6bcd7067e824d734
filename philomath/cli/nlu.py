"""``philomath nlu``: parse utterances, train and evaluate the parser, generate the interaction
model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from nlu.training.config import DEFAULT_CONFIG, TrainConfig
from philomath.cli.context import clear_errors, configured, echo_json, pass_settings
from philomath.cli.progress import fold_bars, step_bar
from philomath.settings import Settings


@click.group()
def nlu() -> None:
    """Language understanding: parse utterances, evaluate the parser."""


@nlu.command("parse")
@click.argument("text", required=False)
@click.option("--jsonl", is_flag=True, help="Utterances on stdin, one a line (omit TEXT).")
@click.option(
    "--gazetteer",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A gazetteer directory (default: the pipeline's, under PHILOMATH_DATA_DIR).",
)
@click.option("--genres", default=None, help="Comma-separated catalog genres (no gazetteer).")
@click.option("--no-embeddings", is_flag=True, help="Rules and gazetteer only.")
@click.option("--no-model", is_flag=True, help="Without the trained model (philomath nlu train).")
@pass_settings
def nlu_parse(
    settings: Settings,
    text: str | None,
    jsonl: bool,
    gazetteer: Path | None,
    genres: str | None,
    no_embeddings: bool,
    no_model: bool,
) -> None:
    """`parse "text"` prints the ParsedRequest as JSON; `parse --jsonl` reads one utterance
    per line on stdin and writes one ParsedRequest per line."""
    if jsonl == (text is not None):
        raise click.UsageError("give either TEXT or --jsonl")
    from nlu.jsonl import parse_lines, parsed_json
    from nlu.loading import load_parser
    from philomath.nlu_model import promoted_nlu_model

    if gazetteer is None and settings.gazetteer_dir.exists():
        gazetteer = settings.gazetteer_dir
    names = [g for g in (genres or "").split(",") if g.strip()]
    parser = load_parser(
        gazetteer,
        genres=names,
        embeddings=not no_embeddings,
        trained_model=None if no_model else promoted_nlu_model(settings),
    )
    if text is not None:
        click.echo(parsed_json(parser, text, indent=2))
    else:
        parse_lines(parser, sys.stdin, sys.stdout)


# MiniLM's depth, for training and for cross-validation alike.
layers_option = click.option(
    "--layers",
    type=click.IntRange(min=1, max=6),
    default=DEFAULT_CONFIG.layers,
    show_default=True,
    help="MiniLM transformer layers kept (fewer: a faster parse, lower accuracy).",
)


@nlu.command("train")
@click.option(
    "--epochs", type=click.IntRange(min=1), default=DEFAULT_CONFIG.epochs, show_default=True
)
@click.option("--seed", type=int, default=DEFAULT_CONFIG.seed, show_default=True)
@layers_option
@pass_settings
def nlu_train(settings: Settings, epochs: int, seed: int, layers: int) -> None:
    """Fine-tune the intent and slot model on the vendored real corpora and the generated
    utterances, register it under <work>/nlu-models and promote it; serving loads it."""
    from philomath.nlu_model import train_nlu_model

    with step_bar("train the NLU model") as progress, clear_errors():
        manifest = train_nlu_model(
            settings, TrainConfig(epochs=epochs, seed=seed, layers=layers), progress=progress
        )
    echo_json({"model": manifest.name, "run": manifest.run, "data": manifest.data.model_dump()})


@nlu.command("evaluate")
@click.option(
    "--corpus",
    "corpora",
    type=click.Choice(("own", "snips", "slurp")),
    multiple=True,
    help="own (nlu/eval, default), or a real corpus, scored by k-fold cross-validation "
    "(repeat the option for both: they share the folds).",
)
@click.option(
    "--set", "set_name", default="test", show_default=True, help="own: test, dev or FILE."
)
@click.option("--rules", is_flag=True, help="own: the plain RuleParser (the baseline).")
@click.option("--no-embeddings", is_flag=True, help="own: gazetteer and rules only.")
@click.option(
    "--no-model",
    is_flag=True,
    help="Without the trained model (on real corpora: the parser without it on every "
    "utterance, nothing trained, no folds).",
)
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True)
@click.option(
    "--epochs", type=click.IntRange(min=1), default=DEFAULT_CONFIG.epochs, show_default=True
)
@layers_option
@click.option(
    "--fold-models",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the fold models in this folder and reuse those trained on the same data "
    "and config (re-scoring a parser change then takes a minute, not a training).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.option("--errors", type=click.IntRange(min=0), default=0, help="Print this many failures.")
@pass_settings
def nlu_evaluate(
    settings: Settings,
    corpora: tuple[str, ...],
    set_name: str,
    rules: bool,
    no_embeddings: bool,
    no_model: bool,
    folds: int,
    epochs: int,
    layers: int,
    fold_models: Path | None,
    as_json: bool,
    errors: int,
) -> None:
    """Intent accuracy and per-slot P/R/F1. On the own set (nlu/eval) also exact match and
    latency, with the promoted trained model when there is one. On the real corpora, k-fold
    cross-validation: every fold trains a model (minutes each), so no utterance is scored
    by a model trained on it. Exit status 0: the figures are the output, not a verdict."""
    from nlu.evaluate import evaluate_set, format_report, set_path
    from philomath.nlu_model import promoted_nlu_model

    wanted = corpora or ("own",)
    real = [c for c in wanted if c != "own"]
    output: dict[str, object] = {}
    if "own" in wanted:
        if not set_path(set_name).is_file():
            raise click.BadParameter(f"no such set or file: {set_name}", param_hint="'--set'")
        model = None if (no_model or rules) else promoted_nlu_model(settings)
        report = evaluate_set(set_name, rules=rules, embeddings=not no_embeddings,
                              trained_model=model)  # fmt: skip
        output["own"] = {**report.as_dict(), "set": set_name, "trained_model": str(model)}
        if not as_json:
            click.echo(format_report(report, set_name))
            click.echo(f"  trained model: {model or 'none'}")
        for error in report.errors[:errors]:
            click.echo("  x " + json.dumps(error, ensure_ascii=False), err=as_json)
    if real:
        from nlu.training.crossval import baseline_reports, cross_validate
        from nlu.training.scoring import format_corpus_report, music_summary

        config = TrainConfig(epochs=epochs, layers=layers)
        if no_model or rules:  # nothing trained: every utterance scored once, no folds
            reports = baseline_reports(rules=rules, embeddings=not no_embeddings)
        else:
            with fold_bars() as on_fold:
                reports = cross_validate(
                    folds=folds, config=config, on_fold=on_fold, fold_models=fold_models
                )
        names = [n for n in reports if n in real or n.startswith(tuple(f"{c}_" for c in real))]
        for name in names:
            result = reports[name]
            summary = music_summary(result) if name == "slurp" else {}
            trained = not (no_model or rules)
            output[name] = {**result.as_dict(), **summary, "folds": folds if trained else None,
                            "config": config.as_dict() if trained else None}  # fmt: skip
            if not as_json:
                click.echo(format_corpus_report(result))
            for error in result.errors[:errors]:
                click.echo("  x " + json.dumps(error, ensure_ascii=False), err=as_json)
    if as_json:  # the own set alone keeps its flat report; real corpora come by name
        click.echo(json.dumps(output["own"] if wanted == ("own",) else output, indent=2))


@nlu.command("interaction-model")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--genres", default=None, help="Comma-separated genres (default: nlu's list).")
@click.option("--check", is_flag=True, help="Only compare; exit 1 if the file is stale.")
@configured
def nlu_interaction_model(path: Path | None, genres: str | None, check: bool) -> None:
    """Write the Alexa interaction model generated from nlu's vocabulary to PATH (default
    interaction_models/en-US.json); then `philomath skill-package` copies it for ASK."""
    from nlu.interaction_model import (
        DEFAULT_GENRES,
        MODEL_PATH,
        is_current,
        write_interaction_model,
    )

    target = path or MODEL_PATH
    names = [g for g in genres.split(",") if g.strip()] if genres else list(DEFAULT_GENRES)
    if check:
        if not is_current(target, names):
            raise click.ClickException(f"{target} is stale: run philomath nlu interaction-model")
        return
    write_interaction_model(target, names)
    click.echo(f"wrote {target}")
