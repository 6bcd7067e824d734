"""The REST API's Lambda entry: API Gateway HTTP API (payload 2.0) events through Mangum to
the same app as ``philomath serve``, built once on the embedded defaults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from philomath.api_handler import create_handler, from_environment
from tests.fakes import World


def http_api_event(method: str, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "api.test", **(headers or {})},
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "10.0.0.1",
            },
            "requestId": "r-1",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def test_requests_reach_the_app_and_it_is_built_once(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PHILOMATH_LOG_LEVEL", "WARNING")
    builds: list[int] = []

    def build() -> Any:
        builds.append(1)
        return from_environment()

    handler = create_handler(build)
    health = handler(http_api_event("GET", "/health"), None)
    assert health["statusCode"] == 200
    refused = handler(http_api_event("GET", "/v1/users/me/recommendations"), None)
    assert refused["statusCode"] == 401  # no token: the app's own problem answer
    assert not refused["isBase64Encoded"]
    assert json.loads(refused["body"])["status"] == 401
    assert builds == [1]
