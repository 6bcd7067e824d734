"""The whole request path on the production backends, chosen by configuration only:
PostgreSQL catalog, Redis cache (both real on 127.0.0.1), DynamoDB stores and a Kinesis
stream (moto). The pipeline fills them; the HTTP app answers Alexa from them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from philomath.offline import run_offline
from philomath.settings import Settings
from philomath.wiring import build_online
from playback.directives import track_id_of
from skill.alexa.envelopes import audio_player_request, intent_request, linked, search_request


@pytest.fixture
def settings(
    tmp_path: Path, postgres_schema: tuple[str, str], redis_url: str, aws_env: None
) -> Settings:
    dsn, schema = postgres_schema
    return Settings(
        data_dir=tmp_path,
        catalog_url=f"{dsn}?schema={schema}",
        store_url="dynamodb://philomath-test-recommendations",
        profiles_url="dynamodb://philomath-test-profiles",
        cache_url=redis_url,
        events_url="kinesis://philomath-test-events",
        queue_url=redis_url,
        # Requests here are hand-made, not signed by Alexa; the app's API needs a token.
        verify_alexa_signatures=False,
        api_tokens=SecretStr(json.dumps({"tok-1": "usr-0000001"})),
        users=40,
        tracks=400,
        events=4_000,
        seed=3,
    )


def _play_directive(response: dict) -> dict:  # type: ignore[type-arg]
    directives = response["response"]["directives"]
    plays = [d for d in directives if d["type"] == "AudioPlayer.Play"]
    assert len(plays) == 1, directives
    return plays[0]  # type: ignore[no-any-return]


def test_alexa_request_path_on_production_backends(settings: Settings, redis_url: str) -> None:
    run_offline(settings, progress=False)
    online = build_online(settings)
    try:
        client = TestClient(online.app)
        user_id = "usr-0000001"
        # An Alexa account linked to that listener: its access token is the API's token.
        alexa_user = "amzn1.ask.account.real-backends"

        answer = client.post(
            "/alexa",
            json=linked(
                intent_request("PlayMusicIntent", {"Mood": "relaxing"}, alexa_user), "tok-1"
            ),
        )
        assert answer.status_code == 200
        stream = _play_directive(answer.json())["audioItem"]["stream"]
        track_id = track_id_of(stream["token"])
        assert track_id is not None
        track = online.backends.catalog.get_tracks([track_id])[track_id]
        assert "relaxing" in track.moods
        assert stream["url"].startswith("https://") and track_id in stream["url"]
        assert "relaxing" in answer.json()["response"]["outputSpeech"]["ssml"].lower()

        free_text = client.post(
            "/alexa", json=linked(search_request("play something relaxing", alexa_user), "tok-1")
        )
        assert free_text.status_code == 200
        _play_directive(free_text.json())

        started = client.post(
            "/alexa",
            json=linked(
                audio_player_request("PlaybackStarted", stream["token"], 0, alexa_user), "tok-1"
            ),
        )
        assert started.status_code == 200
        assert "outputSpeech" not in started.json()["response"]
        events = [r.event for r in online.backends.events.read(None, limit=100)]
        assert [(e.kind, e.user_id, e.track_id) for e in events] == [("started", user_id, track_id)]

        # The router's lists went through Redis.
        assert redis.Redis.from_url(redis_url).keys("*recs:*")

        # The device queue went to Redis too.
        assert redis.Redis.from_url(redis_url).keys("*queue:*")

        recs = client.get(
            f"/v1/users/{user_id}/recommendations",
            params={"limit": 5},
            headers={"Authorization": "Bearer tok-1"},
        )
        assert recs.status_code == 200
        assert len(recs.json()["items"]) == 5
        assert client.get("/ready").status_code == 200
    finally:
        online.close()
