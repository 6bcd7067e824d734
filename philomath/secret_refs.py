"""References to secrets in settings: ``secretsmanager://<name>`` or a Secrets Manager ARN,
either optionally followed by ``#<key>`` to take one key of a JSON secret.

Settings only recognise them (and check the value once read); ``philomath.security`` reads
them at start.
"""

from __future__ import annotations

import re

SECRET_REFERENCE = re.compile(
    r"(?:secretsmanager://(?P<name>[^#]+)|(?P<arn>arn:aws[\w-]*:secretsmanager:[^#]+))"
    r"(?:#(?P<key>.+))?"
)


def is_secret_reference(value: str) -> bool:
    return SECRET_REFERENCE.fullmatch(value) is not None
