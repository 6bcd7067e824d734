"""The ``philomath`` command line, one module per group of commands:

- ``offline``: ``data generate``, ``pipeline run``, ``train``, ``models list|promote|rollback``
- ``evaluation``: ``evaluate`` and ``tune`` on the Last.fm protocol
- ``experiment``: ``experiment list|report`` (A/B experiments)
- ``nlu``: ``nlu parse|evaluate|interaction-model``
- ``online``: ``serve``, ``consume``, ``batch``
- ``spark``: ``spark run`` (the distributed path)
- ``alexa``: ``say``, ``alexa``, ``dialog``, ``skill-package``
- ``deploy``: ``schema ensure``, ``pipeline ingest|step|evaluate|gate`` (what AWS deployment
  runs)

Every command is a click command here, in the composition root; the packages below expose
plain functions. ``context`` holds what they share: settings read once (a wrong setting is one
line naming the variable, exit status 2) and logging configured from them.
"""

from __future__ import annotations

from typing import Any

import click

from philomath.cli import (
    alexa,
    deploy,
    evaluation,
    experiment,
    nlu,
    offline,
    online,
    simulation,
    spark,
)
from philomath.cli.context import CliState, SettingsProblem
from philomath.cli.offline import PIPELINE_STEPS

_LEVELS = click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], case_sensitive=False)


class _Philomath(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from philomath.wiring import ConfigurationError

        try:
            return super().invoke(ctx)
        except ConfigurationError as exc:  # a backend URL the wiring cannot build
            raise SettingsProblem([str(exc)]) from exc


@click.group(cls=_Philomath)
@click.option("--log-level", type=_LEVELS, default=None, help="Override PHILOMATH_LOG_LEVEL.")
@click.pass_context
def main(ctx: click.Context, log_level: str | None) -> None:
    """Philomath: music recommendations for voice assistants."""
    ctx.obj = CliState(log_level)


for command in (
    offline.data,
    offline.pipeline,
    offline.train,
    offline.retrain,
    offline.models,
    spark.spark,
    evaluation.evaluate,
    evaluation.tune,
    experiment.experiment,
    simulation.simulate,
    simulation.simulate_off_policy,
    nlu.nlu,
    online.serve,
    online.consume,
    online.batch,
    alexa.say,
    alexa.alexa,
    alexa.dialog,
    alexa.skill_package,
):
    main.add_command(command)
main.add_command(deploy.schema)
main.add_command(deploy.cache)
for command in (
    deploy.pipeline_ingest,
    deploy.pipeline_step,
    deploy.pipeline_evaluate,
    deploy.pipeline_gate,
):
    offline.pipeline.add_command(command)

__all__ = ["PIPELINE_STEPS", "main"]
