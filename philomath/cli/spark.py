"""``philomath spark run``: the offline steps on Apache Spark (``recommender.distributed``)."""

from __future__ import annotations

import time

import click

from philomath.cli.context import clear_errors, echo_json, pass_settings
from philomath.settings import Settings


@click.group()
def spark() -> None:
    """The distributed path: ETL, ALS training and batch inference on Spark."""


@spark.command("run")
@click.option("--skip-etl", is_flag=True, help="Train on the unified tables already there.")
@click.option("--factors", type=int, default=64, show_default=True, help="ALS rank.")
@click.option("--iterations", type=int, default=15, show_default=True)
@click.option(
    "--regularization",
    type=float,
    default=0.05,
    show_default=True,
    help="Spark's regParam (Spark scales it by each row's rated cells).",
)
@click.option("--alpha", type=float, default=2.0, show_default=True)
@click.option("--blocks", type=int, default=4, show_default=True, help="ALS user/item blocks.")
@click.option("--cores", type=int, default=2, show_default=True, help="local[N] threads.")
@click.option("--no-promote", is_flag=True, help="Register the exported model, promote nothing.")
@click.option(
    "--no-publish", is_flag=True, help="Write the lists as Parquet only, not to the store."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_settings
def spark_run(
    settings: Settings,
    skip_etl: bool,
    factors: int,
    iterations: int,
    regularization: float,
    alpha: float,
    blocks: int,
    cores: int,
    no_promote: bool,
    no_publish: bool,
    as_json: bool,
) -> None:
    """On a local Spark session (PHILOMATH_SPARK_MEMORY of heap): the ETL reading the feeds
    under PHILOMATH_DATA_DIR's raw/ with Spark, ALS on the plays, its factors registered (and
    promoted) as ials.v1, every listener's list as Parquet under work/spark/lists and, unless
    --no-publish, in a new snapshot of the recommendation store with the charts. Each step
    prints a line when it starts and ends."""
    from recommender.data.etl.engines import local_spark_session
    from recommender.distributed.als import ALSParams
    from recommender.distributed.job import run_spark_job

    params = ALSParams(
        factors=factors,
        iterations=iterations,
        alpha=alpha,
        seed=settings.seed,
        blocks=blocks,
        regularization=regularization,
    )
    started = time.perf_counter()
    with clear_errors():
        session = local_spark_session(cores=cores, memory=settings.spark_memory)
        session.sparkContext.setLogLevel("ERROR")
        store = None if no_publish else _store(settings)
        try:
            report = run_spark_job(
                session,
                raw_dir=settings.raw_dir,
                work_dir=settings.work_dir,
                params=params,
                per_user=settings.recommendations_per_user,
                store=store,
                run_etl_step=not skip_etl,
                promote=not no_promote,
                progress=lambda line: click.echo(line, err=True),
            )
        finally:
            if store is not None:
                store.close()
    if as_json:
        echo_json(report)
    else:
        timings = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in report.timings.items())
        click.echo(
            f"model     {report.model}{' (promoted)' if report.promoted else ''}\n"
            f"plays     {report.users:,} listeners x {report.tracks:,} tracks, "
            f"{report.user_track_pairs:,} pairs\n"
            f"lists     {report.lists:,} in {report.lists_dir}"
            + (f"; snapshot {report.snapshot}" if report.snapshot else "")
            + f"\nsteps     {timings}"
        )
    click.echo(f"spark run finished in {time.perf_counter() - started:.1f} s", err=True)


def _store(settings: Settings):  # type: ignore[no-untyped-def]
    from philomath.adapters import build_store

    return build_store(settings)
