"""AWS Lambda entry for the Alexa Skills Kit trigger (``skill.lambda_entry.handler``).

The online path is built on the first invocation and reused by warm ones: building it reads
settings from the function's environment (see infra/template.yaml) and opens no connection
until a request needs one.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from philomath.wiring import Online

_online: Online | None = None


def _get_online() -> Online:
    global _online
    if _online is None:
        from philomath.logging_config import configure_logging
        from philomath.settings import Settings
        from philomath.wiring import build_online

        settings = Settings()
        configure_logging(settings.log_level, settings.log_format)
        _online = build_online(settings)
    return _online


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answer one Alexa request envelope with a response envelope."""
    from skill.alexa import InvalidEnvelope, handle_envelope

    online = _get_online()
    try:
        return handle_envelope(online.skill, event)
    except InvalidEnvelope:
        # Lambda has no HTTP status to return; Alexa treats a raised error as a failed call.
        logging.getLogger(__name__).warning("rejected an invalid envelope")
        raise
