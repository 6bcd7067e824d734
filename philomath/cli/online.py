"""``philomath serve``, ``consume`` and ``batch``: the long-running roles."""

from __future__ import annotations

import click

from philomath.cli.context import InputError, echo_json, pass_settings
from philomath.settings import Settings


@click.command()
@click.option("--host", default=None, help="Bind address (default PHILOMATH_HOST).")
@click.option("--port", type=int, default=None, help="Port (default PHILOMATH_PORT).")
@click.option(
    "--workers", is_flag=True, help="Also run the feedback consumer and batch watcher as threads."
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=1,
    help="Serving processes (metrics then in Prometheus multiprocess mode).",
)
@pass_settings
def serve(
    settings: Settings, host: str | None, port: int | None, workers: bool, processes: int
) -> None:
    """Serve the HTTP API: POST /alexa, GET /health, GET /v1/users/{id}/recommendations,
    GET /metrics."""
    host = host or settings.host
    port = port or settings.port
    if processes > 1:
        _serve_processes(settings, host, port, processes, workers)
    else:
        _serve_one_process(settings, host, port, workers)


def _serve_one_process(settings: Settings, host: str, port: int, workers: bool) -> None:
    import threading

    import uvicorn

    from philomath.asgi import freeze_startup_heap
    from philomath.roles import start_workers
    from philomath.wiring import build_online

    online = build_online(settings)
    stop = threading.Event()
    if workers:
        start_workers(online, settings, stop)
    freeze_startup_heap()
    _banner(settings, host, port, 1, workers, empty=online.backends.catalog.count() == 0)
    try:
        uvicorn.run(online.app, host=host, port=port, log_config=None, access_log=False)
    finally:
        stop.set()
        online.close()


def _serve_processes(
    settings: Settings, host: str, port: int, processes: int, workers: bool
) -> None:
    """Several uvicorn workers, each building the app from the environment and listening on
    a socket of its own (``philomath.serving_processes``); their metrics merge through
    PROMETHEUS_MULTIPROC_DIR, whichever worker a scrape reaches. With ``workers``, this
    supervising process runs the background roles for all of them."""
    import os
    import threading

    from philomath.observability import build_telemetry, prepare_multiprocess_metrics
    from philomath.roles import start_roles
    from philomath.security import share_media_key
    from philomath.serving_processes import PortInUse, check_port_free, run_processes
    from philomath.wiring import build_backends

    try:  # before the roles start and the banner says it is serving
        check_port_free(host, port)
    except PortInUse as exc:
        raise InputError(f"cannot serve: {exc.strerror}") from None
    prepare_multiprocess_metrics(settings)  # before anything here imports prometheus_client
    os.environ["WEB_CONCURRENCY"] = str(processes)  # what the workers' settings checks read
    share_media_key(os.environ)
    stop = threading.Event()
    backends = build_backends(settings)
    try:
        if settings.ensure_schema:
            backends.ensure_schema()
        if workers:
            start_roles(backends, settings, stop, build_telemetry(settings).metrics)
        _banner(settings, host, port, processes, workers, empty=backends.catalog.count() == 0)
        run_processes(
            "philomath.asgi:create_app",
            host=host,
            port=port,
            processes=processes,
            log_config=None,
            access_log=False,
        )
    finally:
        stop.set()
        backends.close()


def _banner(
    settings: Settings, host: str, port: int, processes: int, workers: bool, *, empty: bool
) -> None:
    base = f"http://{host}:{port}"
    verification = "on" if settings.verify_alexa_signatures else "OFF (local development only)"
    click.echo(
        f"\nPhilomath is serving on {base}"
        + (f" in {processes} processes" if processes > 1 else "")
        + (" with the feedback consumer and batch watcher" if workers else "")
        + f"\n  Alexa request verification: {verification}\n"
        + (
            "  no recommendations are built yet: run `philomath pipeline run` (or `make run`)\n"
            if empty
            else ""
        )
        + f"  curl {base}/ready\n"
        f"  curl -H 'Authorization: Bearer demo-token' "
        f"'{base}/v1/users/me/recommendations?mood=relaxing&limit=5'\n"
        f"  .venv/bin/philomath say 'play something relaxing' --token demo-token --json "
        f"| curl -s -H 'content-type: application/json' -d @- {base}/alexa\n",
        err=True,
    )


@click.command()
@pass_settings
def consume(settings: Settings) -> None:
    """Apply play events from the stream to profiles until SIGINT or SIGTERM; metrics on
    PHILOMATH_METRICS_PORT."""
    from philomath.observability import build_telemetry, expose_role_metrics
    from philomath.roles import consume as consume_role
    from philomath.roles import stop_on_signals
    from philomath.wiring import build_backends

    backends = build_backends(settings)
    try:
        if settings.ensure_schema:
            backends.ensure_schema()
        telemetry = build_telemetry(settings)
        expose_role_metrics(settings, telemetry)
        consume_role(backends, stop_on_signals(), telemetry.metrics)
    finally:
        backends.close()


@click.command()
@click.option("--incremental", is_flag=True, help="Only listeners whose profile changed.")
@click.option("--watch", is_flag=True, help="Keep running until SIGINT or SIGTERM.")
@click.option(
    "--experiment-model",
    default=None,
    metavar="NAME",
    help="Stage lists of this registered model (e.g. ease.v1) for A/B experiments whose "
    "variants name it as model_version, without publishing them.",
)
@pass_settings
def batch(settings: Settings, incremental: bool, watch: bool, experiment_model: str | None) -> None:
    """Batch inference: lists for every listener into a new store snapshot. Metrics: on
    PHILOMATH_METRICS_PORT with --watch, else into PHILOMATH_METRICS_TEXTFILE when set."""
    if experiment_model is not None:
        _experiment_batch(settings, experiment_model, incremental or watch)
        return
    from philomath.observability import (
        build_telemetry,
        expose_role_metrics,
        write_metrics_textfile,
    )
    from philomath.roles import batch as batch_role
    from philomath.roles import stop_on_signals
    from philomath.wiring import build_backends

    backends = build_backends(settings)
    try:
        if settings.ensure_schema:
            backends.ensure_schema()
        telemetry = build_telemetry(settings)
        if watch:
            expose_role_metrics(settings, telemetry)
        report = batch_role(
            backends,
            settings,
            incremental=incremental,
            watch=stop_on_signals() if watch else None,
            metrics=telemetry.metrics,
        )
        write_metrics_textfile(settings, telemetry)
    finally:
        backends.close()
    echo_json(report)


def _experiment_batch(settings: Settings, model: str, other_options: bool) -> None:
    from philomath.wiring import build_backends
    from recommender.batch.inference import run_experiment_batch
    from recommender.batch.promoted_model import ModelDataMismatch
    from recommender.models.registry import RegistryError

    if other_options:
        raise InputError("--experiment-model runs once: without --incremental or --watch")
    backends = build_backends(settings)
    try:
        if settings.ensure_schema:
            backends.ensure_schema()
        report = run_experiment_batch(
            store=backends.store,
            profiles=backends.profiles,
            work_dir=settings.data_dir / "work",
            model=model,
        )
    except (RegistryError, ModelDataMismatch) as exc:
        raise InputError(str(exc)) from exc
    finally:
        backends.close()
    echo_json(report)
