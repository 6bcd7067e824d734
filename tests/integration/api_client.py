"""Tokens and assertions shared by the HTTP tests."""

from __future__ import annotations

from skill.http_app import PROBLEM_JSON

KNOWN_TOKEN = "tok-known-listener"
NEW_TOKEN = "tok-new-listener"
NEW_USER = "someone-new"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM_JSON)  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["title"]
    assert "Traceback" not in response.text  # type: ignore[attr-defined]
    return body
