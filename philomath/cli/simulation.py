"""``philomath simulate``: simulated listeners against serving policies (philomath.simulation)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from philomath.cli.context import InputError, pass_settings
from philomath.settings import Settings


@click.command()
@click.option("--days", type=click.IntRange(min=1), default=7, show_default=True)
@click.option("--listeners", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--tracks", type=click.IntRange(min=10), default=2_000, show_default=True)
@click.option(
    "--events",
    type=click.IntRange(min=1),
    default=20_000,
    show_default=True,
    help="Generated history the first model is trained on.",
)
@click.option("--policies", default="static", show_default=True, help="Comma-separated.")
@click.option("--shift-day", type=click.IntRange(min=0), default=None, help="0-based day.")
@click.option("--shift-genre", default=None, help="The genre that starts trending.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="HTML report path (default <PHILOMATH_DATA_DIR>/simulation/report.html).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@pass_settings
def simulate(
    settings: Settings,
    days: int,
    listeners: int,
    tracks: int,
    events: int,
    policies: str,
    shift_day: int | None,
    shift_genre: str | None,
    seed: int,
    html_path: Path | None,
    as_json: bool,
) -> None:
    """Simulated listeners (the generator's, true tastes known) use each policy's real
    serving path for N days; their plays and skips flow through the event stream and the
    feedback consumer. Per-day skip rate, completion rate and plays per session with
    bootstrap intervals; each policy against the first pooled over days (paired per
    listener) and, with a shift, how fast each recovers; an HTML report, figures.json and
    each policy's impressions (JSON lines) under <PHILOMATH_DATA_DIR>/simulation."""
    from philomath.simulation.listeners import ContentShift
    from philomath.simulation.oracle import oracle_for
    from philomath.simulation.pooled import summary_lines
    from philomath.simulation.report import figures, write_html, write_json
    from philomath.simulation.run import SimulationConfig, write_impressions
    from philomath.simulation.run import simulate as run_simulation

    if (shift_day is None) != (shift_genre is None):
        raise InputError("--shift-day and --shift-genre go together")
    names = tuple(name.strip() for name in policies.split(",") if name.strip())
    try:
        shift = None
        if shift_day is not None and shift_genre is not None:
            shift = ContentShift(shift_day, shift_genre)
        config = SimulationConfig(days, listeners, tracks, events, names, shift, seed)
        out = settings.data_dir / "simulation"
        runs, _ = run_simulation(config, out)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    data = figures(runs, config, oracle_for(config, out))
    for run in runs:
        write_impressions(out / f"impressions-{run.name}.jsonl", run)
    write_json(out / "figures.json", data)
    report = write_html(html_path or out / "report.html", data)
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        for name, run in data["policies"].items():
            for entry in run["days"]:
                skip, done = entry["skip_rate"], entry["completion_rate"]
                click.echo(
                    f"{name} day {entry['day']}: skip {skip['value']:.3f} "
                    f"[{skip['low']:.3f}, {skip['high']:.3f}], completion {done['value']:.3f}, "
                    f"plays/session {entry['plays_per_session']['value']:.2f}"
                )
        for entry in data["oracle"]["days"]:
            skip = entry["skip_rate"]
            click.echo(
                f"oracle day {entry['day']}: skip {skip['value']:.3f} "
                f"[{skip['low']:.3f}, {skip['high']:.3f}]"
            )
        for line in summary_lines(data["pooled"]):
            click.echo(line)
    click.echo(f"report: {report}", err=as_json)


@click.command("simulate-off-policy")
@click.option("--days", type=click.IntRange(min=1), default=3, show_default=True)
@click.option(
    "--learn-days",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Days the bandit learns online before its posteriors are frozen.",
)
@click.option("--listeners", type=click.IntRange(min=1), default=200, show_default=True)
@click.option("--tracks", type=click.IntRange(min=10), default=2_000, show_default=True)
@click.option("--events", type=click.IntRange(min=1), default=20_000, show_default=True)
@click.option(
    "--logging-exploration",
    type=float,
    default=0.5,
    show_default=True,
    help="The logging policy's chance of swapping its first slot, in (0, 0.5].",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@pass_settings
def simulate_off_policy(
    settings: Settings,
    days: int,
    learn_days: int,
    listeners: int,
    tracks: int,
    events: int,
    logging_exploration: float,
    seed: int,
    as_json: bool,
) -> None:
    """Off-policy estimates (IPW, SNIPW, DR) of the frozen bandit's first-slot completion
    rate from the simulated logs of the static ranking with first-slot exploration
    (static-logging), next to the frozen bandit's simulated rate, each with its interval;
    figures in <PHILOMATH_DATA_DIR>/simulation-off-policy/figures.json."""
    from philomath.simulation.off_policy import (
        OffPolicyConfig,
        format_text,
        simulate_off_policy,
    )
    from philomath.simulation.report import write_json
    from philomath.simulation.run import SimulationConfig

    out = settings.data_dir / "simulation-off-policy"
    try:
        simulation = SimulationConfig(days, listeners, tracks, events, seed=seed)
        config = OffPolicyConfig(simulation, learn_days, logging_exploration)
        data = simulate_off_policy(config, out)
    except ValueError as exc:  # OffPolicyInputError included
        raise InputError(str(exc)) from exc
    path = write_json(out / "figures.json", data)
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
    else:
        for line in format_text(data):
            click.echo(line)
    click.echo(f"figures: {path}", err=as_json)
