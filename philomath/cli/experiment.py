"""``philomath experiment list|report``: the A/B experiments declared in
``PHILOMATH_EXPERIMENTS_FILE`` and their reports (text, JSON, HTML with plots).

A report blocked by a sample ratio mismatch prints why and exits with status 1, so a script
never takes a broken experiment's numbers for a result.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from philomath.cli.context import InputError, echo_json, pass_settings
from philomath.settings import Settings
from playback.events import PlaybackEvent

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def experiment() -> None:
    """A/B experiments: what is declared, and how each one is doing."""


@experiment.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_settings
def list_experiments(settings: Settings, as_json: bool) -> None:
    """The declared experiments, their status and variants."""
    from recommender.experiments.config import ExperimentConfigError, load_experiments

    try:
        experiments = load_experiments(settings.experiments_path)
    except ExperimentConfigError as exc:
        raise InputError(str(exc)) from exc
    if as_json:
        echo_json([e.model_dump(mode="json") for e in experiments])
        return
    if not experiments:
        click.echo(f"no experiments declared in {settings.experiments_path}")
    for e in experiments:
        variants = ", ".join(f"{v.name}:{v.weight:g}" for v in e.variants)
        click.echo(f"{e.name:<24}{e.status:<9}traffic {e.traffic:.0%}  {variants}")


@experiment.command("report")
@click.argument("name")
@click.option(
    "--events",
    "events_file",
    type=_FILE,
    default=None,
    help="Exported play events (JSON lines); default: the configured event stream.",
)
@click.option(
    "--exposures",
    "exposures_file",
    type=_FILE,
    default=None,
    help="Exposures (JSON lines); default: PHILOMATH_EXPOSURES_FILE.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write an HTML report with plots here.",
)
@click.option(
    "--looks",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Evenly spaced looks the sequential test covers.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_settings
def report(
    settings: Settings,
    name: str,
    events_file: Path | None,
    exposures_file: Path | None,
    html_path: Path | None,
    looks: int,
    as_json: bool,
) -> None:
    """Per-variant skip rate, completion rate, plays per session and likes, with an
    always-valid sequential test, the sample-ratio check and the guardrails."""
    from playback.errors import StreamUnavailable
    from recommender.errors import DataError
    from recommender.experiments.analysis import analyse, exposures_from_events
    from recommender.experiments.config import find, load_experiments
    from recommender.experiments.file_exposures import FileExposureLog
    from recommender.experiments.report import as_dict, format_text, write_html

    try:
        declared = find(load_experiments(settings.experiments_path), name)
        exposures = FileExposureLog(exposures_file or settings.exposures_path).read(name)
        events = list(_file_events(events_file) if events_file else _stream_events(settings))
    except (DataError, StreamUnavailable) as exc:
        raise InputError(str(exc)) from exc
    # Exposures come from the exposure log and from plays whose ``served`` names a variant.
    exposures += exposures_from_events(name, events)
    if not exposures:
        raise InputError(f"experiment {name!r} has no exposures yet")
    analysis = analyse(declared, exposures, events, looks=looks)
    click.echo(json.dumps(as_dict(analysis), indent=2) if as_json else format_text(analysis))
    if html_path is not None:
        click.echo(f"report: {write_html(html_path, analysis)}", err=as_json)
    if analysis.blocked:
        click.echo(f"philomath: report blocked: {analysis.blocked}", err=True)
        sys.exit(1)


def _file_events(path: Path) -> Iterator[PlaybackEvent]:
    from playback.events import parse_record

    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                event = parse_record(line, f"{path.name}:{number}")
                if event is not None:  # a line that does not parse is logged and skipped
                    yield event


def _stream_events(settings: Settings) -> Iterator[PlaybackEvent]:
    from philomath.adapters import build_events

    stream = build_events(settings)
    try:
        after = None
        while records := stream.read(after, limit=1000):
            yield from (record.event for record in records)
            after = records[-1].position
    finally:
        stream.close()
