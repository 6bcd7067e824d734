"""The skill's half of the AWS Lambda entry (``philomath.lambda_handler.handler`` is the
function's handler and builds the skill from the environment).

Lambda hands the request envelope over already parsed and signed by AWS (the trigger's
SkillId condition decides who may invoke the function), so there is no signature to check;
the skill id is still checked, as Amazon asks. ``create_handler`` builds the skill on the
first invocation and reuses it for warm ones; scheduled warm-up pings (EventBridge) are
answered without building anything.
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
