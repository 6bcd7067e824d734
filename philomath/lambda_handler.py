"""AWS Lambda entry for the Alexa Skills Kit trigger: ``philomath.lambda_handler.handler``
(infra/template.yaml's Handler).

The composition half of the Lambda: settings from the function's environment, logging (JSON,
as in every AWS runtime), and the online path built on the first invocation and reused by warm
ones; building opens no connection until a request needs one. ``skill.lambda_entry`` is the
skill half: warm-up pings, the skill id check, the request id on every log line.
"""

from __future__ import annotations

from pydantic import ValidationError

from philomath.logging_config import configure_logging
from philomath.settings import Settings, settings_problems
from philomath.wiring import ConfigurationError, build_online
from skill.lambda_entry import LambdaSkill, create_handler


def from_environment() -> LambdaSkill:
    """The skill as the function's environment configures it; a wrong setting fails the
    invocation with one line per problem, naming the variables."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigurationError("; ".join(settings_problems(exc))) from None
    configure_logging(settings.log_level, settings.log_format)
    online = build_online(settings)
    return LambdaSkill(online.skill, online.skill_ids)


handler = create_handler(from_environment)
