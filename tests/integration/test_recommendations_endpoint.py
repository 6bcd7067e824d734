"""``GET /v1/users/{user_id}/recommendations`` in plain ASGI: it answers what the FastAPI route
answers, and takes only ordinary requests (the route answers the rest)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from skill.api.recommendations_endpoint import RecommendationsEndpoint
from tests.fakes import KNOWN_USER
from tests.integration.api_client import KNOWN_TOKEN, NEW_TOKEN, bearer

ME = "/v1/users/me/recommendations"
REQUESTS: list[tuple[str, dict[str, str]]] = [
    (ME, bearer(KNOWN_TOKEN)),
    (f"{ME}?limit=2", bearer(KNOWN_TOKEN)),
    (f"{ME}?limit=2&cursor=bzoy", bearer(KNOWN_TOKEN)),
    (f"{ME}?mood=chill&limit=3&unknown=1", bearer(KNOWN_TOKEN)),
    (f"{ME}?genre=pop&popular=true", bearer(KNOWN_TOKEN)),
    (f"{ME}?n=4", bearer(KNOWN_TOKEN)),
    (f"{ME}?mood=grumpy", bearer(KNOWN_TOKEN)),  # 422 from the page: unknown mood
    (f"{ME}?cursor=garbage", bearer(KNOWN_TOKEN)),  # 422: invalid cursor
    (f"{ME}?limit=0", bearer(KNOWN_TOKEN)),  # 422 from the query model
    (f"{ME}?limit=2&limit=3", bearer(KNOWN_TOKEN)),
    (f"{ME}?popular=", bearer(KNOWN_TOKEN)),
    (f"/v1/users/{KNOWN_USER}/recommendations", bearer(KNOWN_TOKEN)),
    (f"/v1/users/{KNOWN_USER}/recommendations", bearer(NEW_TOKEN)),  # 403
    (ME, bearer("not-a-token")),  # 401
    (ME, {"Authorization": "bearer   " + KNOWN_TOKEN}),
    (ME, {"Authorization": "Basic dXNlcjpwdw=="}),
    (ME, {}),
    ("/v1/users//recommendations", bearer(KNOWN_TOKEN)),
    (f"/v1/users/{'x' * 300}/recommendations", bearer(KNOWN_TOKEN)),
]


def answer(client: TestClient, path: str, headers: dict[str, str]) -> tuple[Any, ...]:
    response = client.get(path, headers=headers)
    body = response.json()
    if response.status_code == 200:  # a fresh impression for every page
        body["impression_id"] = "-"
        for item in body["items"]:
            item["served"]["impression_id"] = "-"
    kept = ("content-type", "www-authenticate", "retry-after")
    return response.status_code, {k: response.headers.get(k) for k in kept}, body


@pytest.mark.parametrize(("path", "headers"), REQUESTS)
def test_the_endpoint_answers_as_the_route(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, path: str, headers: dict[str, str]
) -> None:
    fast = answer(client, path, headers)
    monkeypatch.setattr(RecommendationsEndpoint, "ordinary", lambda self, scope: None)
    assert answer(client, path, headers) == fast


def scope(
    path: str = ME, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    auth = [(b"authorization", f"Bearer {KNOWN_TOKEN}".encode())]
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "headers": auth if headers is None else headers,
    }


def test_only_ordinary_requests_are_taken() -> None:
    endpoint = RecommendationsEndpoint(app=None, pages=None, offload=None)  # type: ignore[arg-type]
    taken = endpoint.ordinary(scope(query=b"limit=3&mood=chill&other=1"))
    assert taken is not None
    credentials, user_id, query = taken
    assert (credentials.credentials, user_id, query.limit, query.mood) == (
        KNOWN_TOKEN, "me", 3, "chill",
    )  # fmt: skip
    passed_on = [
        scope() | {"method": "HEAD"},
        scope(path="/v1/users/me/recommendations/x"),
        scope(path="/v1/users/a/b/recommendations"),
        scope(query=b"limit=3&limit=4"),
        scope(query=b"limit=x"),
        scope(headers=[]),
        scope(headers=[(b"authorization", b"Basic abc")]),
        scope(headers=[(b"authorization", b"Bearer a"), (b"authorization", b"Bearer b")]),
        scope() | {"type": "websocket"},
    ]
    assert [endpoint.ordinary(s) for s in passed_on] == [None] * len(passed_on)


def test_the_app_answers_ordinary_pages_through_the_endpoint(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[object] = []
    ordinary = RecommendationsEndpoint.ordinary

    def spy(self: RecommendationsEndpoint, scope: Any) -> Any:
        inputs = ordinary(self, scope)
        taken.append(inputs)
        return inputs

    monkeypatch.setattr(RecommendationsEndpoint, "ordinary", spy)
    assert client.get(f"{ME}?limit=2", headers=bearer(KNOWN_TOKEN)).status_code == 200
    assert [inputs is not None for inputs in taken] == [True]
