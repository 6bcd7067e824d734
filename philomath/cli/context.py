"""What every command shares: settings read once (a wrong one is one line per problem, exit
status 2), logging configured from them, and the CLI's error and output conventions."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import click
from pydantic import ValidationError

from philomath.logging_config import configure_logging
from philomath.settings import Settings, settings_problems

P = ParamSpec("P")
R = TypeVar("R")


class SettingsProblem(click.ClickException):
    """Configuration the commands cannot run with: one ``philomath: ...`` line per problem on
    stderr and exit status 2, as for a bad option."""

    exit_code = 2

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def show(self, file: Any = None) -> None:
        for problem in self.problems:
            click.echo(f"philomath: {problem}", err=True)


class InputError(click.ClickException):
    """Input a command refuses (a missing data set file, an unknown model): exit status 2."""

    exit_code = 2


@dataclass
class CliState:
    """``ctx.obj`` of the ``philomath`` group. Settings are read when a command first asks,
    so ``--help`` works whatever the environment holds."""

    log_level: str | None = None
    settings: Settings | None = None

    def load(self) -> Settings:
        if self.settings is None:
            try:
                settings = Settings()
            except ValidationError as exc:
                raise SettingsProblem(settings_problems(exc)) from None
            # Logs go to stderr, so stdout stays the command's answer (JSON in a pipe).
            configure_logging(self.log_level or settings.log_level, settings.log_format, sys.stderr)
            self.settings = settings
        return self.settings


def load_settings() -> Settings:
    return click.get_current_context().ensure_object(CliState).load()


def pass_settings(command: Callable[Concatenate[Settings, P], R]) -> Callable[P, R]:
    """Call ``command`` with the settings as its first argument."""

    @functools.wraps(command)
    def with_settings(*args: P.args, **kwargs: P.kwargs) -> R:
        return command(load_settings(), *args, **kwargs)

    return with_settings


def configured(command: Callable[P, R]) -> Callable[P, R]:
    """For commands that read no setting: settings checked and logging configured all the same."""

    @functools.wraps(command)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        load_settings()
        return command(*args, **kwargs)

    return checked


@contextmanager
def clear_errors() -> Iterator[None]:
    """What the offline side refuses (bad feeds, a registry problem) as a one-line CLI error
    with exit code 1, not a traceback."""
    from recommender.errors import RecommenderError

    try:
        yield
    except RecommenderError as exc:
        raise click.ClickException(str(exc)) from exc


def figure(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.4f}"


def echo_json(value: Any) -> None:
    """``value`` (a dataclass or plain data) as indented JSON on stdout."""
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    click.echo(json.dumps(value, indent=2, default=str))
