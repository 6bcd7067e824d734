"""``philomath data``, ``pipeline``, ``train`` and ``models``: the offline side."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from philomath.cli.context import clear_errors, echo_json, figure, pass_settings
from philomath.settings import Settings

# The steps of recommender.offline.pipeline (which the CLI cannot import at start-up).
PIPELINE_STEPS = ("etl", "catalog", "profiles", "train", "recommend")
SERVE_HINT = (
    "serve it: philomath batch (or philomath pipeline run; a running batch --watch picks it up)"
)


@click.group()
def data() -> None:
    """The embedded data set: the two teams' raw feeds."""


@data.command("generate")
@click.option("--users", type=int, default=None, help="Listeners (default PHILOMATH_USERS).")
@click.option("--tracks", type=int, default=None, help="Tracks (default PHILOMATH_TRACKS).")
@click.option("--events", type=int, default=None, help="Events (default PHILOMATH_EVENTS).")
@click.option("--seed", type=int, default=None, help="Random seed (default PHILOMATH_SEED).")
@click.option("--out", "out_dir", type=click.Path(), default=None, help="Output folder.")
@click.option("--force", is_flag=True, help="Regenerate even if the feeds match.")
@pass_settings
def data_generate(
    settings: Settings,
    users: int | None,
    tracks: int | None,
    events: int | None,
    seed: int | None,
    out_dir: str | None,
    force: bool,
) -> None:
    """Write the personalization and music-data teams' feeds."""
    from recommender.data.generator.feeds import generate_feeds

    manifest = generate_feeds(
        Path(out_dir) if out_dir else settings.raw_dir,
        users=users or settings.users,
        tracks=tracks or settings.tracks,
        events=events or settings.events,
        seed=settings.seed if seed is None else seed,
        force=force,
    )
    echo_json(manifest)


@click.group()
def pipeline() -> None:
    """The offline pipeline."""


@pipeline.command("run")
@click.option("--force-generate", is_flag=True, help="Regenerate the embedded feeds first.")
@click.option("--force", is_flag=True, help="Rerun every step, even those already done.")
@click.option(
    "--from",
    "from_step",
    type=click.Choice(PIPELINE_STEPS),
    default=None,
    help="Rerun this step and every step after it.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "pyspark"]),
    default=None,
    help="Run the ETL on DuckDB or a local Spark session (default PHILOMATH_ETL_ENGINE).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@pass_settings
def pipeline_run(
    settings: Settings,
    force_generate: bool,
    force: bool,
    from_step: str | None,
    engine: str | None,
    as_json: bool,
) -> None:
    """Generate feeds if needed, then ETL, catalog, profiles, train (register and promote the
    best model, HTML report) and recommendations for every user. Steps whose inputs did not
    change since they last finished are skipped, so a failed run resumes where it stopped.
    A trained model replaces the one in service only if it passes the promotion gate."""
    from philomath.offline import run_offline

    if engine is not None:
        settings = settings.model_copy(update={"etl_engine": engine})
    started = time.perf_counter()
    with clear_errors():
        report = run_offline(
            settings, force_generate=force_generate, force=force, from_step=from_step
        )
    if as_json:
        echo_json(report)
    else:
        click.echo(_pipeline_summary(report))
    click.echo(f"pipeline finished in {time.perf_counter() - started:.1f} s", err=True)


@click.command()
@click.option(
    "--if-due",
    is_flag=True,
    help="Only when PHILOMATH_RETRAIN_MIN_PLAYS new live plays arrived or "
    "PHILOMATH_RETRAIN_EVERY_H passed since the last retrain (default: now).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the decision and report as JSON.")
@pass_settings
def retrain(settings: Settings, if_due: bool, as_json: bool) -> None:
    """Rerun the pipeline on the feeds and the live plays the consumer archived (steps whose
    inputs did not change are skipped). Never two at once: while another pipeline runs,
    says so and starts nothing."""
    from dataclasses import asdict

    from philomath.offline import retrain_if_due

    with clear_errors():
        outcome = retrain_if_due(settings, force=not if_due, progress=not as_json)
    decision = outcome.decision
    if as_json:
        echo_json(
            {
                **asdict(decision),
                "ran": outcome.ran,
                "busy": outcome.busy,
                "pipeline": asdict(outcome.result) if outcome.result is not None else None,
            }
        )
        return
    if outcome.ran and outcome.result is not None:
        click.echo(f"retrained: {decision.reason}")
        click.echo(_pipeline_summary(outcome.result))
    elif outcome.busy:
        click.echo(f"due ({decision.reason}), but another pipeline is running; not started")
    else:
        click.echo(f"not due: {decision.reason}")


@click.command()
@click.option("--no-promote", is_flag=True, help="Register every model but promote none.")
@click.option(
    "--no-gate",
    is_flag=True,
    help="Promote the best model without comparing it with the model in service.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the training summary as JSON.")
@pass_settings
def train(settings: Settings, no_promote: bool, no_gate: bool, as_json: bool) -> None:
    """Train and evaluate every candidate on the pipeline's unified tables, register them all,
    and promote the best (NDCG@10 on held-out plays) if it beats the model in service on the
    same split (PHILOMATH_PROMOTION_MARGIN, satisfaction and coverage guardrails); write an
    HTML report with the gate's decision. Needs the ETL's output (philomath pipeline run);
    run `philomath batch` afterwards to serve a newly promoted model."""
    from philomath.offline import run_training

    with clear_errors():
        report = run_training(settings, promote=not no_promote, gate=not no_gate)
    if as_json:
        click.echo(json.dumps(report.summary(), indent=2))
        return
    click.echo(_training_table(report.summary()))
    best = report.best
    action = "promoted" if report.promoted else "registered, not promoted"
    click.echo(f"{action}: {best.name} run {best.run} ({report.promotion.reason})")
    click.echo(f"report: {report.report_path}")
    if report.promoted:
        click.echo(SERVE_HINT, err=True)


@click.group()
def models() -> None:
    """The model registry: list, promote, roll back."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the manifests as JSON.")
@pass_settings
def models_list(settings: Settings, as_json: bool) -> None:
    """Every registered model, oldest first; the promoted one is marked with *."""
    from recommender.models.registry import ModelRegistry

    registry = ModelRegistry(settings.models_dir)
    with clear_errors():
        found = registry.models()
        promoted = registry.promoted_ref()
    if as_json:
        rows = [m.model_dump(mode="json") for m in found]
        click.echo(json.dumps({"promoted": promoted, "models": rows}, indent=2))
        return
    if not found:
        click.echo(f"no model registered in {settings.models_dir}")
        return
    click.echo(f"  {'name':<18}{'run':<24}{'label':<12}{'ndcg@10':>9}{'satisf@10':>11}  created")
    for m in found:
        mark = "*" if f"{m.name}/{m.run}" == promoted else " "
        click.echo(
            f"{mark} {m.name:<18}{m.run:<24}{m.label:<12}"
            f"{figure(m.metrics.get('ndcg@10')):>9}{figure(m.metrics.get('satisfaction@10')):>11}"
            f"  {m.created_at:%Y-%m-%d %H:%M:%S}"
        )


@models.command("promote")
@click.argument("name")
@click.argument("run", required=False)
@pass_settings
def models_promote(settings: Settings, name: str, run: str | None) -> None:
    """Promote NAME (e.g. ials.v1) at RUN (default: its latest run). Batch inference serves it
    from its next full run (`philomath batch`, or at once under `batch --watch`)."""
    from recommender.models.registry import ModelRegistry

    with clear_errors():
        manifest = ModelRegistry(settings.models_dir).promote(
            name, run, reason="philomath models promote"
        )
    click.echo(f"promoted {manifest.name} run {manifest.run}")
    click.echo(SERVE_HINT, err=True)


@models.command("rollback")
@pass_settings
def models_rollback(settings: Settings) -> None:
    """Promote again the model that was promoted before the current one."""
    from recommender.models.registry import ModelRegistry

    with clear_errors():
        manifest = ModelRegistry(settings.models_dir).rollback(reason="philomath models rollback")
    click.echo(f"rolled back to {manifest.name} run {manifest.run}")
    click.echo(SERVE_HINT, err=True)


def _pipeline_summary(report: Any) -> str:
    etl = report.etl
    quarantined = ", ".join(
        f"{feed} {sum(reasons.values())}" for feed, reasons in etl.quarantined.items()
    )
    timings = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in report.timings.items())
    metrics = report.model_metrics
    figures = ", ".join(
        f"{name} {figure(metrics[name])}"
        for name in ("ndcg@10", "recall@10", "satisfaction@10")
        if name in metrics
    )
    return "\n".join(
        [
            f"catalog      {report.tracks:,} tracks",
            f"profiles     {report.profiles:,} listeners",
            f"history      {report.interactions:,} plays",
            f"quarantined  {etl.quarantined_total:,} rows ({quarantined}); see {etl.report_path}",
            f"model        {report.model_version} run {report.model_run} (promoted)",
            f"gate         {_gate_line(report.promotion)}",
            f"held out     {figures or 'not evaluated'}",
            f"report       {report.report_path}",
            f"written      {report.user_lists:,} listener lists, {report.charts} charts",
            f"steps        {timings or 'none'}"
            + (f"; skipped {', '.join(report.skipped)}" if report.skipped else ""),
        ]
    )


def _gate_line(promotion: dict[str, Any]) -> str:
    if not promotion:
        return "not recorded (trained before the promotion gate)"
    verdict = "promoted" if promotion.get("promoted") else "not promoted"
    return f"{promotion.get('challenger', '')} {verdict}: {promotion.get('reason', '')}"


def _training_table(summary: dict[str, Any]) -> str:
    columns = ("precision@10", "recall@10", "ndcg@10", "satisfaction@10", "coverage", "novelty")
    lines = [f"{'model':<12}" + "".join(f"{c:>16}" for c in columns) + f"{'fit s':>8}"]
    for label, figures in summary["candidates"].items():
        mark = "*" if label == summary["chosen"]["label"] else " "
        lines.append(
            f"{mark}{label:<11}"
            + "".join(f"{figure(figures.get(c)):>16}" for c in columns)
            + f"{figures['fit_seconds']:>8.2f}"
        )
    return "\n".join(lines)
