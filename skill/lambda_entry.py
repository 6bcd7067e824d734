"""AWS Lambda entry for the Alexa Skills Kit trigger (``skill.lambda_entry.handler``).

Lambda hands the request envelope over already parsed and signed by AWS (the trigger's
SkillId condition decides who may invoke the function), so there is no signature to check;
the skill id is still checked, as Amazon asks. The online path is built on the first
invocation and reused by warm ones: building reads settings from the function's environment
(infra/template.yaml) and opens no connection until a request needs one. Scheduled warm-up
pings (EventBridge) are answered without building anything.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skill.request_context import bound_request_id

if TYPE_CHECKING:
    from ask_sdk_core.skill import CustomSkill

logger = logging.getLogger(__name__)

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class LambdaSkill:
    skill: CustomSkill
    skill_ids: frozenset[str]


def from_environment() -> LambdaSkill:
    """The skill as the function's environment configures it."""
    from philomath.logging_config import configure_logging
    from philomath.settings import Settings
    from philomath.wiring import build_online

    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    online = build_online(settings)
    return LambdaSkill(online.skill, online.skill_ids)


def create_handler(build: Callable[[], LambdaSkill]) -> LambdaHandler:
    """A Lambda handler that builds the skill with ``build`` once, on first use."""
    built: list[LambdaSkill] = []
    lock = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        """Answer one Alexa request envelope with a response envelope. Raises (a failed
        invocation, which Alexa reports to the listener) for envelopes that are invalid or
        addressed to another skill."""
        from skill.alexa import InvalidEnvelope, VerificationFailed, handle_envelope
        from skill.alexa.verification import check_skill_id

        if isinstance(event, dict) and event.get("source") == "aws.events":
            return {}  # a warm-up ping
        with lock:
            if not built:
                built.append(build())
        app = built[0]
        with bound_request_id(getattr(context, "aws_request_id", None)):
            try:
                check_skill_id(event, app.skill_ids)
                return handle_envelope(app.skill, event)
            except (InvalidEnvelope, VerificationFailed) as exc:
                logger.warning("rejected a request: %s", exc)
                raise

    return handler


handler = create_handler(from_environment)
