"""The ``philomath`` command line: data, pipeline, serving and local Alexa requests."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from philomath.logging_config import configure_logging
from philomath.settings import Settings

# A listener of the embedded data set, for examples.
DEMO_USER = "usr-0000001"


def _settings() -> Settings:
    return Settings()


@click.group()
@click.option("--log-level", default=None, help="Override PHILOMATH_LOG_LEVEL.")
@click.pass_context
def main(ctx: click.Context, log_level: str | None) -> None:
    """Philomath: music recommendations for voice assistants."""
    settings = _settings()
    # CLI output goes to stdout; logs go to stderr so pipes (``philomath alexa``) stay clean.
    configure_logging(log_level or settings.log_level, settings.log_format, stream=sys.stderr)
    ctx.obj = settings


# -- data and pipeline -----------------------------------------------------------------------


@main.group()
def data() -> None:
    """The embedded data set: the two teams' raw feeds."""


@data.command("generate")
@click.option("--users", type=int, default=None, help="Listeners (default PHILOMATH_USERS).")
@click.option("--tracks", type=int, default=None, help="Tracks (default PHILOMATH_TRACKS).")
@click.option("--events", type=int, default=None, help="Events (default PHILOMATH_EVENTS).")
@click.option("--seed", type=int, default=None, help="Random seed (default PHILOMATH_SEED).")
@click.option("--out", "out_dir", type=click.Path(), default=None, help="Output folder.")
@click.option("--force", is_flag=True, help="Regenerate even if the feeds match.")
@click.pass_obj
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
    from pathlib import Path

    from recommender.data.generate import generate_feeds

    manifest = generate_feeds(
        Path(out_dir) if out_dir else settings.raw_dir,
        users=users or settings.users,
        tracks=tracks or settings.tracks,
        events=events or settings.events,
        seed=settings.seed if seed is None else seed,
        force=force,
    )
    click.echo(json.dumps(_jsonable(manifest), indent=2))


@main.group()
def pipeline() -> None:
    """The offline pipeline."""


# The steps of recommender.offline.pipeline.
PIPELINE_STEPS = ("etl", "catalog", "profiles", "train", "recommend")
_SERVE_HINT = (
    "serve it: philomath batch (or philomath pipeline run; a running batch --watch picks it up)"
)


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
@click.pass_obj
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
    change since they last finished are skipped, so a failed run resumes where it stopped."""
    from philomath.offline import run_offline

    if engine is not None:
        settings = settings.model_copy(update={"etl_engine": engine})
    started = time.perf_counter()
    with _clear_errors():
        report = run_offline(
            settings, force_generate=force_generate, force=force, from_step=from_step
        )
    if as_json:
        click.echo(json.dumps(_jsonable(report), indent=2))
    else:
        click.echo(_pipeline_summary(report))
    click.echo(f"pipeline finished in {time.perf_counter() - started:.1f} s", err=True)


@main.command()
@click.option("--no-promote", is_flag=True, help="Register every model but promote none.")
@click.option("--json", "as_json", is_flag=True, help="Print the training summary as JSON.")
@click.pass_obj
def train(settings: Settings, no_promote: bool, as_json: bool) -> None:
    """Train and evaluate every candidate on the pipeline's unified tables, register them all,
    promote the best (NDCG@10 on held-out plays) and write an HTML report. Needs the ETL's
    output (philomath pipeline run); run `philomath batch` afterwards to serve the new model."""
    from philomath.offline import run_training

    with _clear_errors():
        report = run_training(settings, promote=not no_promote)
    if as_json:
        click.echo(json.dumps(report.summary(), indent=2))
        return
    click.echo(_training_table(report.summary()))
    best = report.best
    action = "promoted" if report.promoted else "best (not promoted)"
    click.echo(f"{action}: {best.name} run {best.run}\nreport: {report.report_path}")
    if report.promoted:
        click.echo(_SERVE_HINT, err=True)


@main.group()
def models() -> None:
    """The model registry: list, promote, roll back."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the manifests as JSON.")
@click.pass_obj
def models_list(settings: Settings, as_json: bool) -> None:
    """Every registered model, oldest first; the promoted one is marked with *."""
    from recommender.models.registry import ModelRegistry

    registry = ModelRegistry(settings.models_dir)
    with _clear_errors():
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
            f"{_figure(m.metrics.get('ndcg@10')):>9}{_figure(m.metrics.get('satisfaction@10')):>11}"
            f"  {m.created_at:%Y-%m-%d %H:%M:%S}"
        )


@models.command("promote")
@click.argument("name")
@click.argument("run", required=False)
@click.pass_obj
def models_promote(settings: Settings, name: str, run: str | None) -> None:
    """Promote NAME (e.g. ials.v1) at RUN (default: its latest run). Batch inference serves it
    from its next full run (`philomath batch`, or at once under `batch --watch`)."""
    from recommender.models.registry import ModelRegistry

    with _clear_errors():
        manifest = ModelRegistry(settings.models_dir).promote(
            name, run, reason="philomath models promote"
        )
    click.echo(f"promoted {manifest.name} run {manifest.run}")
    click.echo(_SERVE_HINT, err=True)


@models.command("rollback")
@click.pass_obj
def models_rollback(settings: Settings) -> None:
    """Promote again the model that was promoted before the current one."""
    from recommender.models.registry import ModelRegistry

    with _clear_errors():
        manifest = ModelRegistry(settings.models_dir).rollback(reason="philomath models rollback")
    click.echo(f"rolled back to {manifest.name} run {manifest.run}")
    click.echo(_SERVE_HINT, err=True)


@main.command()
@click.option("--dataset", type=click.Choice(["lastfm-2k"]), default="lastfm-2k", show_default=True)
@click.option("--data-dir", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="HTML report path (default <PHILOMATH_DATA_DIR>/reports/lastfm-2k-seed<N>-<time>.html).",
)
@click.pass_obj
def evaluate(
    settings: Settings,
    dataset: str,
    data_dir: str,
    seed: int,
    as_json: bool,
    report_path: Path | None,
) -> None:
    """Every model on a public data set's protocol (Last.fm HetRec 2011: 20% of each
    listener's artists held out; P@10, R@10, NDCG@10, MAP, coverage, novelty, fit time),
    with an HTML report of the run (metrics by k, models side by side, segments)."""
    from recommender.evaluation.lastfm_cli import default_report_path
    from recommender.evaluation.lastfm_cli import main as lastfm_main

    report = report_path or default_report_path(settings.data_dir / "reports", seed)
    argv = ["--dataset", dataset, "--data-dir", data_dir, "--seed", str(seed)]
    argv += ["--report", str(report)]
    code = lastfm_main(argv + (["--json"] if as_json else []))
    if code:
        raise SystemExit(code)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def tune(args: tuple[str, ...]) -> None:
    """Optuna over cross-validation folds of the Last.fm protocol's training split (never its
    test split), every trial logged: --data-dir DIR [--space blend|ease|itemknn|rp3beta]
    [--trials 20] [--folds 3] [--seed 0] [--timeout-s S] [--trial-log FILE.jsonl]."""
    from recommender.offline.tuning import main as tuning_main

    code = tuning_main(list(args))
    if code:
        raise SystemExit(code)


@main.group()
def nlu() -> None:
    """Language understanding: parse utterances, evaluate the parser."""


@nlu.command("parse", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def nlu_parse(settings: Settings, args: tuple[str, ...]) -> None:
    """`parse "text"` prints the ParsedRequest as JSON; `parse --jsonl` reads one utterance
    per line on stdin and writes one ParsedRequest per line."""
    from nlu.cli import main_parse

    argv = list(args)
    if "--gazetteer" not in argv and settings.gazetteer_dir.exists():
        argv += ["--gazetteer", str(settings.gazetteer_dir)]
    code = main_parse(argv)
    if code:
        raise SystemExit(code)


@nlu.command("evaluate", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def nlu_evaluate(args: tuple[str, ...]) -> None:
    """Intent accuracy, per-slot P/R/F1, exact match and latency on the project's own
    evaluation set: [--set test|dev|FILE] [--rules] [--no-embeddings] [--json] [--errors N]."""
    from nlu.evaluate import main as evaluate_main

    code = evaluate_main(list(args))
    if code:
        raise SystemExit(code)


# -- online ----------------------------------------------------------------------------------


@main.command()
@click.option("--host", default=None, help="Bind address (default PHILOMATH_HOST).")
@click.option("--port", type=int, default=None, help="Port (default PHILOMATH_PORT).")
@click.option(
    "--workers", is_flag=True, help="Also run the feedback consumer and batch watcher as threads."
)
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None, workers: bool) -> None:
    """Serve the HTTP API: POST /alexa, GET /health, GET /v1/users/{id}/recommendations."""
    import threading

    import uvicorn

    from philomath.roles import start_workers
    from philomath.wiring import build_online

    host = host or settings.host
    port = port or settings.port
    online = build_online(settings)
    stop = threading.Event()
    if workers:
        start_workers(online, settings, stop)
    base = f"http://{host}:{port}"
    verification = "on" if settings.verify_alexa_signatures else "OFF (local development only)"
    click.echo(
        f"\nPhilomath is serving on {base}"
        + (" with the feedback consumer and batch watcher" if workers else "")
        + f"\n  Alexa request verification: {verification}\n"
        f"  curl {base}/ready\n"
        f"  curl -H 'Authorization: Bearer demo-token' "
        f"'{base}/v1/users/me/recommendations?mood=relaxing&limit=5'\n"
        f"  .venv/bin/philomath say 'play something relaxing' --user {DEMO_USER} --json "
        f"| curl -s -H 'content-type: application/json' -d @- {base}/alexa\n",
        err=True,
    )
    try:
        uvicorn.run(online.app, host=host, port=port, log_config=None, access_log=False)
    finally:
        stop.set()
        online.close()


@main.command()
@click.pass_obj
def consume(settings: Settings) -> None:
    """Apply play events from the stream to profiles until SIGINT or SIGTERM."""
    from philomath.roles import consume as consume_role
    from philomath.roles import stop_on_signals
    from philomath.wiring import build_backends

    backends = build_backends(settings)
    try:
        backends.ensure_schema()
        consume_role(backends, stop_on_signals())
    finally:
        backends.close()


@main.command()
@click.option("--incremental", is_flag=True, help="Only listeners whose profile changed.")
@click.option("--watch", is_flag=True, help="Keep running until SIGINT or SIGTERM.")
@click.pass_obj
def batch(settings: Settings, incremental: bool, watch: bool) -> None:
    """Batch inference: lists for every listener into a new store snapshot."""
    from philomath.roles import batch as batch_role
    from philomath.roles import stop_on_signals
    from philomath.wiring import build_backends

    backends = build_backends(settings)
    try:
        backends.ensure_schema()
        report = batch_role(
            backends, settings, incremental=incremental, watch=stop_on_signals() if watch else None
        )
    finally:
        backends.close()
    click.echo(json.dumps(_jsonable(report), indent=2))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "user_id", default=None, help="Replace the dialog's listener.")
@click.pass_obj
def dialog(settings: Settings, file: Path, user_id: str | None) -> None:
    """Replay a multi-turn session (FILE, JSON) like the ASK simulator: what Alexa would say
    and play at each turn. Examples ship in skill/dialogs/."""
    from philomath.wiring import build_online
    from skill.dialog import replay_file

    online = build_online(settings)
    try:
        transcript = replay_file(file, online.skill, online.parser, user=user_id)
    except ValueError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    finally:
        online.close()
    click.echo(transcript.render())
    if not transcript.ok:
        raise SystemExit(1)


@main.command()
@click.pass_obj
def alexa(settings: Settings) -> None:
    """Read one Alexa request envelope (JSON) on stdin; write the response envelope on stdout."""
    from philomath.wiring import build_online
    from skill.alexa import InvalidEnvelope, handle_envelope

    try:
        envelope = json.load(sys.stdin)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"stdin is not JSON: {exc}") from exc
    online = build_online(settings)
    try:
        response = handle_envelope(online.skill, envelope)
    except InvalidEnvelope as exc:
        raise click.ClickException(f"not a valid Alexa request envelope: {exc}") from exc
    finally:
        online.close()
    click.echo(json.dumps(response, indent=2))


@main.command()
@click.argument("text")
@click.option("--user", "user_id", default=DEMO_USER, show_default=True, help="Listener id.")
@click.option("--json", "as_json", is_flag=True, help="Print the request envelope instead.")
@click.pass_obj
def say(settings: Settings, text: str, user_id: str, as_json: bool) -> None:
    """Say TEXT to the skill as Alexa would deliver it, and show what Alexa would say and play."""
    from philomath.wiring import build_online
    from skill.alexa import handle_envelope
    from skill.alexa.envelopes import utterance_request

    online = build_online(settings)
    try:
        envelope = utterance_request(text, online.parser, user_id=user_id)
        if as_json:
            click.echo(json.dumps(envelope))
            return
        response = handle_envelope(online.skill, envelope)
    finally:
        online.close()
    click.echo(_describe_response(response))


def _pipeline_summary(report: Any) -> str:
    etl = report.etl
    quarantined = ", ".join(
        f"{feed} {sum(reasons.values())}" for feed, reasons in etl.quarantined.items()
    )
    timings = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in report.timings.items())
    metrics = report.model_metrics
    figures = ", ".join(
        f"{name} {_figure(metrics[name])}"
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
            f"held out     {figures or 'not evaluated'}",
            f"report       {report.report_path}",
            f"written      {report.user_lists:,} listener lists, {report.charts} charts",
            f"steps        {timings or 'none'}"
            + (f"; skipped {', '.join(report.skipped)}" if report.skipped else ""),
        ]
    )


@contextmanager
def _clear_errors() -> Iterator[None]:
    """What the offline side refuses (bad feeds, a registry problem) as a one-line CLI error
    with exit code 1, not a traceback."""
    from recommender.errors import RecommenderError

    try:
        yield
    except RecommenderError as exc:
        raise click.ClickException(str(exc)) from exc


def _training_table(summary: dict[str, Any]) -> str:
    columns = ("precision@10", "recall@10", "ndcg@10", "satisfaction@10", "coverage", "novelty")
    lines = [f"{'model':<12}" + "".join(f"{c:>16}" for c in columns) + f"{'fit s':>8}"]
    for label, figures in summary["candidates"].items():
        mark = "*" if label == summary["chosen"]["label"] else " "
        lines.append(
            f"{mark}{label:<11}"
            + "".join(f"{_figure(figures.get(c)):>16}" for c in columns)
            + f"{figures['fit_seconds']:>8.2f}"
        )
    return "\n".join(lines)


def _figure(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.4f}"


def _describe_response(envelope: dict[str, Any]) -> str:
    response = envelope.get("response", {})
    lines = []
    speech = (response.get("outputSpeech") or {}).get("ssml") or (
        response.get("outputSpeech") or {}
    ).get("text")
    if speech:
        lines.append(f"Alexa says: {speech}")
    for directive in response.get("directives") or []:
        if directive.get("type") == "AudioPlayer.Play":
            stream = directive["audioItem"]["stream"]
            meta = directive["audioItem"].get("metadata") or {}
            lines.append(f"Alexa plays: {meta.get('title')} - {meta.get('subtitle')}")
            lines.append(f"  stream: {stream['url']}  token: {stream['token']}")
        else:
            lines.append(f"Directive: {directive.get('type')}")
    return "\n".join(lines) or "(no speech, no directive)"


def _jsonable(value: Any) -> Any:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return json.loads(json.dumps(asdict(value), default=str))
    return value
