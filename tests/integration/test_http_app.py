"""The HTTP app end to end: FastAPI, the ask-sdk skill and the real SQLite adapters."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import pytest
from fastapi.testclient import TestClient

from playback.directives import track_id_of
from skill.alexa import VerificationFailed, envelopes
from skill.api.alexa_endpoint import MAX_ALEXA_BODY_BYTES
from skill.api.offload import Offload, in_threads, inline
from skill.http_app import create_app
from tests.fakes import KNOWN_USER, STREAM_BASE, World
from tests.integration.api_client import KNOWN_TOKEN, NEW_TOKEN, assert_problem, bearer

USER = "amzn1.ask.account.http"


def test_play_music_envelope_returns_a_play_directive(client: TestClient, world: World) -> None:
    envelope = envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, USER)
    response = client.post("/alexa", json=envelope)
    assert response.status_code == 200
    body = response.json()
    (directive,) = body["response"]["directives"]
    stream = directive["audioItem"]["stream"]
    assert directive["type"] == "AudioPlayer.Play"
    assert stream["url"].startswith(f"{STREAM_BASE}/t-relax-1?exp=")
    assert world.stream_urls.signer is not None
    query = dict(p.split("=") for p in stream["url"].split("?")[1].split("&"))
    assert world.stream_urls.signer.verify("t-relax-1", int(query["exp"]), query["sig"])
    assert track_id_of(stream["token"]) == "t-relax-1"
    assert "Morning Tide" in body["response"]["outputSpeech"]["ssml"]


def test_audio_event_over_http_is_published(client: TestClient, world: World) -> None:
    envelope = envelopes.audio_player_request("PlaybackStarted", "t1.ab.t-pop-1", 0, USER)
    response = client.post("/alexa", json=envelope)
    assert response.status_code == 200
    assert response.json()["response"] == {}
    assert [(e.kind, e.user_id) for e in world.published()] == [("started", USER)]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"\xff\xfe", b'{"request": {"type": "LaunchRequest"}'],
)
def test_malformed_json_is_a_400_problem(client: TestClient, body: bytes) -> None:
    response = client.post("/alexa", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 400)


def test_a_json_array_is_a_400_problem(client: TestClient) -> None:
    assert_problem(client.post("/alexa", json=[envelopes.launch_request(USER)]), 400)


def test_unknown_request_type_is_a_400_problem(client: TestClient) -> None:
    envelope = envelopes.launch_request(USER)
    envelope["request"]["type"] = "Alexa.Teleport.Requested"
    body = assert_problem(client.post("/alexa", json=envelope), 400)
    assert body["title"] == "Invalid Alexa request envelope"


def test_unknown_intent_is_a_polite_200(client: TestClient) -> None:
    envelope = envelopes.intent_request("OrderPizzaIntent", {}, USER)
    response = client.post("/alexa", json=envelope)
    assert response.status_code == 200
    assert "Sorry" in response.json()["response"]["outputSpeech"]["ssml"]


@pytest.mark.parametrize("offload", [inline, in_threads], ids=["inline", "in-threads"])
def test_a_turn_runs_where_the_offload_puts_it(
    world: World, offload: Offload, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    real = world.skill.invoke

    def invoke(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(world.skill, "invoke", invoke)
    app = create_app(world.listening, world.parser, world.skill, offload=offload)
    loop_threads: list[int] = []

    @app.get("/loop-thread")
    async def loop_thread() -> dict[str, int]:
        loop_threads.append(threading.get_ident())
        return {}

    with TestClient(app) as client:
        envelope = envelopes.intent_request("PlayMusicIntent", {"Mood": "relaxing"}, USER)
        response = client.post("/alexa", json=envelope)
        client.get("/loop-thread")
        too_big = client.post("/alexa", content=b" " * (MAX_ALEXA_BODY_BYTES + 1))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["response"]["directives"][0]["type"] == "AudioPlayer.Play"
    assert (threads == loop_threads) is (offload is inline)
    assert_problem(too_big, 413)


def test_verifier_seam_rejects_with_400(world: World) -> None:
    seen: list[bytes] = []

    def refuse(headers: Mapping[str, str], body: bytes) -> None:
        seen.append(body)
        raise VerificationFailed("bad signature")

    app = create_app(world.listening, world.parser, world.skill, verifier=refuse)
    with TestClient(app) as client:
        response = client.post("/alexa", json=envelopes.launch_request(USER))
    assert_problem(response, 400)
    assert len(seen) == 1 and b"LaunchRequest" in seen[0]


def test_unexpected_errors_are_a_generic_503_with_the_traceback_only_in_the_log(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(world.router, "recommend", crash)
    with caplog.at_level(logging.ERROR):
        response = client.get("/v1/users/me/recommendations", headers=bearer(KNOWN_TOKEN))
    body = assert_problem(response, 503)
    assert "secret internals" not in response.text
    assert body["title"] == "Service unavailable"
    assert any(r.exc_info for r in caplog.records)


def test_liveness_asks_no_backend(client: TestClient, world: World) -> None:
    world.catalog.down = True
    response = client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readiness_ok_and_failing(client: TestClient, world: World) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"catalog": "ok"}}
    world.catalog.down = True
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"catalog": "failed: CatalogUnavailable"},
    }


def test_recommendations_for_a_known_listener(client: TestClient) -> None:
    response = client.get(
        f"/v1/users/{KNOWN_USER}/recommendations", params={"limit": 2},
        headers=bearer(KNOWN_TOKEN),
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == KNOWN_USER
    assert (body["path"], body["model_version"], body["degraded"]) == (
        "personalized", "test.v1", False,
    )  # fmt: skip
    assert [i["track_id"] for i in body["items"]] == ["t-jazz-1", "t-relax-2"]
    first = body["items"][0]
    assert {k: first[k] for k in ("track_id", "title", "artist", "genre", "moods")} == {
        "track_id": "t-jazz-1",
        "title": "Blue Smoke",
        "artist": "Norah Vale",
        "genre": "jazz",
        "moods": ["relaxing", "romantic"],
    }
    assert first["stream_url"].startswith(f"{STREAM_BASE}/t-jazz-1")


def test_unknown_listener_gets_a_cold_start_answer(client: TestClient) -> None:
    body = client.get("/v1/users/me/recommendations", headers=bearer(NEW_TOKEN)).json()
    assert body["path"] == "cold_start"
    # The chart's first id is not in the catalog and is left out.
    assert [i["track_id"] for i in body["items"]] == ["t-pop-1", "t-rock-1", "t-relax-1"]


def test_recommendations_with_mood_synonym_and_genre(client: TestClient) -> None:
    url, auth = "/v1/users/me/recommendations", bearer(NEW_TOKEN)
    body = client.get(url, params={"mood": "chill"}, headers=auth).json()
    assert body["reason"] == "popular relaxing tracks"
    assert [i["track_id"] for i in body["items"]] == ["t-relax-1", "t-relax-2", "t-jazz-1"]
    body = client.get(url, params={"genre": "Jazz"}, headers=auth).json()
    assert [i["track_id"] for i in body["items"]] == ["t-jazz-1"]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"n": 101}, {"limit": "ten"}, {"mood": "purple"},
     {"genre": "polka"}, {"mood": "x" * 65}, {"cursor": "!!"}, {"cursor": "bzoxMDAw"}],
)  # fmt: skip
def test_invalid_parameters_are_a_422_problem(
    client: TestClient, params: dict[str, str | int]
) -> None:
    response = client.get("/v1/users/me/recommendations", params=params,
                          headers=bearer(KNOWN_TOKEN))  # fmt: skip
    assert_problem(response, 422)


def test_catalog_outage_on_recommendations_is_a_503_problem(
    client: TestClient, world: World
) -> None:
    world.catalog.down = True
    response = client.get("/v1/users/me/recommendations", headers=bearer(KNOWN_TOKEN))
    assert_problem(response, 503)


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    assert_problem(client.get("/nope"), 404)
