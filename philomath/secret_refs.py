"""References to secrets in settings: ``secretsmanager://<name>`` or a Secrets Manager ARN,
either optionally followed by ``#<key>`` to take one key of a JSON secret.

Settings only recognise them (and check the value once read); ``Secrets`` reads each once,
at start: ``philomath.security`` for the API's keys, ``philomath.adapters`` for the catalog's
password.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from philomath.errors import ConfigurationError

SECRET_REFERENCE = re.compile(
    r"(?:secretsmanager://(?P<name>[^#]+)|(?P<arn>arn:aws[\w-]*:secretsmanager:[^#]+))"
    r"(?:#(?P<key>.+))?"
)


def is_secret_reference(value: str) -> bool:
    return SECRET_REFERENCE.fullmatch(value) is not None


class Secrets:
    """Setting values, with references read from Secrets Manager once each, through a client
    ``client()`` makes only when a reference needs it."""

    def __init__(self, settings: object, client: Callable[[], Any]) -> None:
        self._settings, self._make_client = settings, client
        self._client: Any = None
        self._read: dict[str, str] = {}

    def value(self, field: str) -> str:
        raw = getattr(self._settings, field)
        text: str = raw.get_secret_value() if hasattr(raw, "get_secret_value") else raw or ""
        match = SECRET_REFERENCE.fullmatch(text)
        if match is None:
            return text
        secret_id = match["name"] or match["arn"]
        if secret_id not in self._read:
            self._read[secret_id] = self._fetch(field, secret_id)
        secret = self._read[secret_id]
        return secret if match["key"] is None else _json_key(field, secret, match["key"])

    def _fetch(self, field: str, secret_id: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        if self._client is None:
            self._client = self._make_client()
        try:
            answer = self._client.get_secret_value(SecretId=secret_id)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "error")
            raise setting_problem(field, f"cannot read secret {secret_id} ({code})") from None
        except BotoCoreError as exc:
            raise setting_problem(field, f"cannot read secret {secret_id} ({exc})") from None
        if "SecretString" in answer:
            return str(answer["SecretString"])
        return bytes(answer["SecretBinary"]).decode()


def _json_key(field: str, secret: str, key: str) -> str:
    try:
        value = json.loads(secret).get(key)
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str):
        raise setting_problem(field, f"the secret is not a JSON object with a string {key!r}")
    return value


def setting_problem(field: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"PHILOMATH_{field.upper()}: {message}")
