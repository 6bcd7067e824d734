"""Routines end to end: declared through the REST API, started by the API and by voice
("play my meditation routine"), and part-of-day lists chosen by the listener's clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from listening import Listening
from listening.device_queue import DevicePlayback
from listening.memory_routines import MemoryRoutineStore
from listening.player import NO_ROUTINE_SPEECH, MusicPlayer
from playback.memory_queue import MemoryQueueStore
from recommender.storage.recommendations import RecommendationList, part_context
from skill.alexa import build_skill, envelopes, handle_envelope
from skill.api.security.auth import TokenAuthenticator
from skill.http_app import create_app
from tests.fakes import KNOWN_USER, World
from tests.integration.api_client import KNOWN_TOKEN, assert_problem, bearer

NIGHT_LIST = ("t-relax-2", "t-relax-1")


@dataclass
class Stack:
    client: TestClient
    world: World
    listening: Listening
    routines: MemoryRoutineStore


@pytest.fixture
def stack(world: World) -> Iterator[Stack]:
    night = RecommendationList(
        KNOWN_USER, part_context("night"), "test.v1", NIGHT_LIST, (2.0, 1.0), 0.0
    )
    world.store.put_lists([night])
    routines = MemoryRoutineStore()
    player = MusicPlayer(world.catalog, world.router, world.stream_urls, routines)
    listening = Listening(
        player, DevicePlayback(player, MemoryQueueStore()), world.recorder, routines=routines
    )
    app = create_app(
        listening, world.parser, world.skill,
        authenticator=TokenAuthenticator({KNOWN_TOKEN: KNOWN_USER}),
    )  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Stack(client, world, listening, routines)


def declare(stack: Stack, **body: Any) -> Any:
    return stack.client.post("/v1/users/me/routines", json=body, headers=bearer(KNOWN_TOKEN))


def test_a_routine_is_declared_listed_started_and_deleted(stack: Stack) -> None:
    created = declare(stack, name="Meditation", request="meditation", at="22:00",
                      repeat="daily", timezone="Europe/Berlin")  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("rtn-")
    assert (body["activity"], body["mood"], body["part_of_day"]) == (
        "meditation", "relaxing", "night",
    )  # fmt: skip
    listed = stack.client.get("/v1/users/me/routines", headers=bearer(KNOWN_TOKEN)).json()
    assert [r["id"] for r in listed["routines"]] == [body["id"]]

    played = stack.client.post(
        f"/v1/users/me/routines/{body['id']}/play", headers=bearer(KNOWN_TOKEN)
    )
    assert played.status_code == 200, played.text
    answer = played.json()
    assert answer["track"]["moods"] and "relaxing" in answer["track"]["moods"]
    assert answer["speech"].startswith("Starting your Meditation routine.")
    assert answer["parsed"]["slots"]["routine"] == "meditation"

    gone = stack.client.delete(f"/v1/users/me/routines/{body['id']}", headers=bearer(KNOWN_TOKEN))
    assert gone.status_code == 204
    again = stack.client.delete(f"/v1/users/me/routines/{body['id']}", headers=bearer(KNOWN_TOKEN))
    assert_problem(again, 404)
    assert_problem(
        stack.client.post(f"/v1/users/me/routines/{body['id']}/play", headers=bearer(KNOWN_TOKEN)),
        404,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "request": "meditation", "at": "25:00"},
        {"name": "x", "request": "meditation", "at": "22:00", "timezone": "Mars/Olympus"},
        {"name": "x", "request": "meditation", "at": "22:00", "repeat": "hourly"},
        {"name": " ", "request": "meditation", "at": "22:00"},
        {"name": "x", "mood": "grumpy-ish", "at": "07:00"},
        {"name": "x", "request": "the weather forecast", "at": "07:00"},
        {"name": "x", "request": "a podcast", "at": "07:00"},
        {"name": "x", "request": "meditation", "at": "22:00", "extra": 1},
    ],
)
def test_invalid_routines_are_documented_problems(stack: Stack, body: dict[str, Any]) -> None:
    assert_problem(declare(stack, **body), 422)
    assert stack.routines.for_listener(KNOWN_USER) == []


def _voice(stack: Stack, text: str, at: datetime | None = None) -> dict[str, Any]:
    skill = build_skill(stack.listening, stack.world.parser)
    env = envelopes.intent_request("PlayRequestIntent", {"Query": text}, KNOWN_USER)
    if at is not None:
        env["request"]["timestamp"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    response: dict[str, Any] = handle_envelope(skill, env)["response"]
    return response


def _played(response: dict[str, Any]) -> str:
    token: str = response["directives"][0]["audioItem"]["stream"]["token"]
    return token


def test_play_my_routine_by_voice(stack: Stack) -> None:
    spoken = _voice(stack, "my meditation routine")
    assert NO_ROUTINE_SPEECH.format(name="meditation") in spoken["outputSpeech"]["ssml"]
    assert declare(stack, name="meditation", request="jazz", at="21:00").status_code == 201
    started = _voice(stack, "my meditation routine")
    assert "Starting your meditation routine." in started["outputSpeech"]["ssml"]
    assert "t-jazz-1" in _played(started)
    night = _voice(stack, "my night routine")  # no such routine: the night list
    assert NIGHT_LIST[0] in _played(night)


def test_plain_play_late_at_night_uses_the_night_list(stack: Stack) -> None:
    utc = ZoneInfo("UTC")  # the listener's profile has no country: UTC
    late = _voice(stack, "play something", at=datetime(2026, 7, 1, 23, 30, tzinfo=utc))
    assert NIGHT_LIST[0] in _played(late)
    noon = _voice(stack, "play something", at=datetime(2026, 7, 1, 12, 0, tzinfo=utc))
    assert NIGHT_LIST[0] not in _played(noon)  # the all-day list
    said = _voice(stack, "play something tonight", at=datetime(2026, 7, 1, 9, 0, tzinfo=utc))
    assert NIGHT_LIST[0] in _played(said)
