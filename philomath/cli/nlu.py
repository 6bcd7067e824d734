"""``philomath nlu``: parse utterances, evaluate the parser, generate the interaction model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from philomath.cli.context import configured, pass_settings
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
@pass_settings
def nlu_parse(
    settings: Settings,
    text: str | None,
    jsonl: bool,
    gazetteer: Path | None,
    genres: str | None,
    no_embeddings: bool,
) -> None:
    """`parse "text"` prints the ParsedRequest as JSON; `parse --jsonl` reads one utterance
    per line on stdin and writes one ParsedRequest per line."""
    if jsonl == (text is not None):
        raise click.UsageError("give either TEXT or --jsonl")
    from nlu.jsonl import parse_lines, parsed_json
    from nlu.parser import load_parser

    if gazetteer is None and settings.gazetteer_dir.exists():
        gazetteer = settings.gazetteer_dir
    names = [g for g in (genres or "").split(",") if g.strip()]
    parser = load_parser(gazetteer, genres=names, embeddings=not no_embeddings)
    if text is not None:
        click.echo(parsed_json(parser, text, indent=2))
    else:
        parse_lines(parser, sys.stdin, sys.stdout)


@nlu.command("evaluate")
@click.option("--set", "set_name", default="test", show_default=True, help="test, dev or FILE.")
@click.option("--rules", is_flag=True, help="The plain RuleParser (the baseline).")
@click.option("--no-embeddings", is_flag=True, help="Gazetteer and rules only.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.option("--errors", type=click.IntRange(min=0), default=0, help="Print this many failures.")
@configured
def nlu_evaluate(
    set_name: str, rules: bool, no_embeddings: bool, as_json: bool, errors: int
) -> None:
    """Intent accuracy, per-slot P/R/F1, exact match and latency on the project's own
    evaluation set (nlu/eval). Exit status 0: the figures are the output, not a verdict."""
    from nlu.evaluate import evaluate_set, format_report, set_path

    if not set_path(set_name).is_file():
        raise click.BadParameter(f"no such set or file: {set_name}", param_hint="'--set'")
    report = evaluate_set(set_name, rules=rules, embeddings=not no_embeddings)
    if as_json:
        click.echo(json.dumps({**report.as_dict(), "set": set_name}, indent=2))
    else:
        click.echo(format_report(report, set_name))
    for error in report.errors[:errors]:
        click.echo("  x " + json.dumps(error, ensure_ascii=False))


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
