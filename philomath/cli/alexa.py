"""``philomath say``, ``alexa``, ``dialog`` and ``skill-package``: the skill without Alexa."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from philomath.cli.context import configured, pass_settings
from philomath.settings import Settings

if TYPE_CHECKING:
    from philomath.wiring import Online

# A listener of the embedded data set, for examples.
DEMO_USER = "usr-0000001"


def require_recommendations(online: Online, settings: Settings) -> None:
    """A person asking before the pipeline ever ran hears why nothing plays, and what to run."""
    if online.backends.catalog.count() == 0:
        raise click.ClickException(
            f"no recommendations are built yet in {settings.data_dir}: "
            "run `philomath pipeline run` (or `make run`) first"
        )


@click.command()
@click.argument("text")
@click.option(
    "--user", "user_id", default=DEMO_USER, show_default=True,
    help="Alexa user id (unlinked, Philomath mints a listener for it).",
)  # fmt: skip
@click.option(
    "--token", default=None,
    help="Access token of a linked account (an API token): the request speaks for its listener.",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the request envelope instead.")
@pass_settings
def say(settings: Settings, text: str, user_id: str, token: str | None, as_json: bool) -> None:
    """Say TEXT to the skill as Alexa would deliver it, and show what Alexa would say and play."""
    from philomath.wiring import build_online
    from skill.alexa import handle_envelope
    from skill.alexa.envelopes import linked, utterance_request

    online = build_online(settings)
    try:
        envelope = utterance_request(text, online.parser, user_id=user_id)
        if token:
            envelope = linked(envelope, token)
        if as_json:
            click.echo(json.dumps(envelope))
            return
        require_recommendations(online, settings)
        response = handle_envelope(online.skill, envelope)
    finally:
        online.close()
    click.echo(describe_response(response))


@click.command()
@pass_settings
def alexa(settings: Settings) -> None:
    """Read one Alexa request envelope (JSON) on stdin; write the response envelope on stdout."""
    from philomath.wiring import build_online
    from skill.alexa import InvalidEnvelope, handle_envelope
    from skill.json_depth import JsonTooDeep, loads_bounded

    try:
        envelope = loads_bounded(sys.stdin.read())
    except JsonTooDeep as exc:
        raise click.ClickException(f"not a valid Alexa request envelope: {exc}") from None
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


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "user_id", default=None, help="Replace the dialog's Alexa user id.")
@pass_settings
def dialog(settings: Settings, file: Path, user_id: str | None) -> None:
    """Replay a multi-turn session (FILE, JSON) like the ASK simulator: what Alexa would say
    and play at each turn. Examples ship in skill/dialogs/."""
    from philomath.wiring import build_online
    from skill.dialog import replay_file

    online = build_online(settings)
    try:
        require_recommendations(online, settings)
        transcript = replay_file(file, online.skill, online.parser, user=user_id)
    except ValueError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    finally:
        online.close()
    click.echo(transcript.render())
    if not transcript.ok:
        raise SystemExit(1)


@click.command("skill-package")
@click.option("--check", is_flag=True, help="Only compare; exit 1 if the package is stale.")
@configured
def skill_package(check: bool) -> None:
    """Copy interaction_models/ into skill-package/ for `ask deploy` (orphans removed)."""
    from skill.skill_package import MODELS_DIR, package_problems, stale_models, sync_models

    if check:
        stale = stale_models()
        if stale:
            raise click.ClickException(
                f"skill package stale for {', '.join(stale)}: run philomath skill-package"
            )
        problems = package_problems()
        if problems:
            raise click.ClickException("skill package: " + "; ".join(problems))
        return
    for name in sync_models():
        click.echo(f"updated {MODELS_DIR / name}")


def describe_response(envelope: dict[str, Any]) -> str:
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
