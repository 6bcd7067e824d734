"""``philomath schema ensure`` and the pipeline's one-step commands (``pipeline ingest``,
``pipeline step``, ``pipeline evaluate``, ``pipeline gate``): what deployment and the Step
Functions tasks run."""

from __future__ import annotations

import click

from philomath.cli.context import clear_errors, echo_json, pass_settings
from philomath.cli.offline import PIPELINE_STEPS
from philomath.settings import Settings


@click.group()
def schema() -> None:
    """Tables, streams and catalog schema: a deployment step, never a request's."""


@schema.command("ensure")
@pass_settings
def schema_ensure(settings: Settings) -> None:
    """Create what is missing (catalog tables, DynamoDB tables and TTL, the stream), whatever
    PHILOMATH_ENSURE_SCHEMA says; idempotent. In AWS the template creates the tables and
    stream, so this creates the PostgreSQL catalog's tables and checks the rest."""
    from philomath.wiring import build_backends

    backends = build_backends(settings)
    try:
        backends.ensure_schema()
    finally:
        backends.close()
    click.echo("schema ensured", err=True)


@click.group()
def cache() -> None:
    """The shared cache of recommendation lists."""


@cache.command("warm")
@pass_settings
def cache_warm(settings: Settings) -> None:
    """Read the current snapshot's charts (overall, per mood, per genre) into the cache, so
    the first listeners after a batch run are not the ones who fill it."""
    from philomath.roles import warm_cache

    with clear_errors():
        echo_json(warm_cache(settings))


@click.command("ingest")
@click.argument("url")
@pass_settings
def pipeline_ingest(settings: Settings, url: str) -> None:
    """Copy the teams' feeds from s3://bucket/prefix into the raw folder."""
    from philomath.adapters import aws_client
    from philomath.ingest import ingest_feeds

    copied = ingest_feeds(aws_client("s3", settings), url, settings.raw_dir)
    echo_json({"copied": copied, "raw_dir": str(settings.raw_dir)})


@click.command("step")
@click.argument("step", type=click.Choice(PIPELINE_STEPS))
@pass_settings
def pipeline_step(settings: Settings, step: str) -> None:
    """Run one pipeline step (earlier ones too if their inputs changed) and print its outputs."""
    from philomath.offline import run_step

    with clear_errors():
        echo_json(run_step(settings, step))


@click.command("evaluate")
@pass_settings
def pipeline_evaluate(settings: Settings) -> None:
    """Evaluate the model the last train step chose on training's held-out split (its
    candidate and the popularity baseline refitted on the split's training part, next to the
    figures training recorded) and write the report, HTML and JSON, into the work folder's
    reports/; prints the JSON. Exit 1, one line, when no train step has finished."""
    from philomath.offline import evaluate_trained_model

    with clear_errors():
        echo_json(evaluate_trained_model(settings))


# Exit codes of `pipeline gate`, read by the state machine's `promoted` choice.
GATE_EXIT_CODES = {"promoted": 0, "overridden": 1, "kept": 3}


@click.command("gate")
@pass_settings
def pipeline_gate(settings: Settings) -> None:
    """Exit 0 when the model the last train step chose is promoted; 3 when the promotion
    gate kept the model in service (nothing new to publish); 1 otherwise (no train step, or a
    rollback or pin since): batch inference must not overwrite what an operator chose."""
    from philomath.offline import trained_model_promoted

    outcome, reason = trained_model_promoted(settings)
    click.echo(reason)
    if outcome != "promoted":
        raise SystemExit(GATE_EXIT_CODES[outcome])
