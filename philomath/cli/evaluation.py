"""``philomath evaluate`` and ``philomath tune``: the Last.fm HetRec 2011 protocol."""

from __future__ import annotations

import json
from pathlib import Path

import click

from philomath.cli.context import InputError, configured, pass_settings
from philomath.settings import Settings

# recommender.offline.tuning's SEARCH_SPACES (which loads Optuna and SciPy on import).
TUNING_SPACES = ("blend", "ease", "itemknn", "rp3beta")
_DATA_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


@click.command()
@click.option("--dataset", type=click.Choice(["lastfm-2k"]), default="lastfm-2k", show_default=True)
@click.option("--data-dir", required=True, type=_DATA_DIR, help="The unpacked HetRec files.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--k", type=click.IntRange(min=1), default=10, show_default=True, help="Cut-off.")
@click.option("--models", default=None, help="Comma-separated labels (default: the usual set).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="HTML report path (default <PHILOMATH_DATA_DIR>/reports/lastfm-2k-seed<N>-<time>.html).",
)
@pass_settings
def evaluate(
    settings: Settings,
    dataset: str,
    data_dir: Path,
    seed: int,
    k: int,
    models: str | None,
    as_json: bool,
    report_path: Path | None,
) -> None:
    """Every model on a public data set's protocol (Last.fm HetRec 2011: 20% of each
    listener's artists held out; P@10, R@10, NDCG@10, MAP, coverage, novelty, fit time),
    with an HTML report of the run (metrics by k, models side by side, segments)."""
    from recommender.errors import DataError
    from recommender.evaluation.lastfm_protocol import evaluate_lastfm
    from recommender.evaluation.lastfm_report import (
        default_report_path,
        format_table,
        write_lastfm_report,
    )

    labels = [label.strip() for label in models.split(",") if label.strip()] if models else None
    try:
        run = evaluate_lastfm(data_dir, seed, labels, k=k)
    except (DataError, KeyError) as exc:
        raise InputError(str(exc).strip("'\"")) from exc
    click.echo(json.dumps(run.as_dict(), indent=2) if as_json else format_table(run))
    report = write_lastfm_report(
        report_path or default_report_path(settings.data_dir / "reports", seed), run
    )
    click.echo(f"report: {report}", err=as_json)  # stdout stays JSON


@click.command()
@click.option("--data-dir", required=True, type=_DATA_DIR, help="The unpacked HetRec files.")
@click.option("--space", type=click.Choice(TUNING_SPACES), default="blend", show_default=True)
@click.option("--trials", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--folds", type=click.IntRange(min=2), default=3, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--timeout-s", type=float, default=None, help="Stop starting trials after this.")
@click.option(
    "--trial-log",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Append one JSON line per trial here.",
)
@configured
def tune(
    data_dir: Path,
    space: str,
    trials: int,
    folds: int,
    seed: int,
    timeout_s: float | None,
    trial_log: Path | None,
) -> None:
    """Optuna over cross-validation folds of the Last.fm protocol's training split (never its
    test split), every trial logged; prints the best parameters as JSON."""
    from recommender.errors import DataError
    from recommender.evaluation.lastfm_protocol import protocol_split
    from recommender.offline.tuning import tune as run_study

    try:
        train = protocol_split(data_dir, seed).train
    except DataError as exc:
        raise InputError(str(exc)) from exc
    result = run_study(
        train,
        space,
        n_trials=trials,
        folds=folds,
        seed=seed,
        timeout_s=timeout_s,
        trial_log=trial_log,
    )
    click.echo(json.dumps({"best_params": result.best_params, "best_value": result.best_value}))
