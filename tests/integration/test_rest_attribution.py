"""Attribution through the REST API: recommendations, playlists and play answers say what
served each track (impression, position...), and the events an app sends back with it, as
well as the skips the API records itself, carry it to the stream."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recommender.serving.bandit import BanditConfig, ThompsonReranker
from recommender.storage.sqlite_posteriors import SqlitePosteriorStore
from skill.api.schemas import ServedIO
from skill.api.security.auth import TokenAuthenticator
from skill.http_app import create_app
from tests.fakes import KNOWN_USER, World, build_world
from tests.integration.api_client import KNOWN_TOKEN, bearer

ME = "/v1/users/me"


def test_recommendation_pages_name_their_impression_and_each_item_s_position(
    client: TestClient,
) -> None:
    auth = bearer(KNOWN_TOKEN)
    query: dict[str, str | int] = {"limit": 2, "mood": "relaxing"}
    first = client.get(f"{ME}/recommendations", params=query, headers=auth).json()
    served = [item["served"] for item in first["items"]]
    assert [s["position"] for s in served] == [0, 1]
    assert {s["impression_id"] for s in served} == {first["impression_id"]}
    assert all(s["path"] == first["path"] for s in served)
    assert all(s["model_version"] == first["model_version"] for s in served)
    assert all(s["context"] == {"mood": "relaxing"} for s in served)
    query["cursor"] = first["next_cursor"]
    second = client.get(f"{ME}/recommendations", params=query, headers=auth).json()
    assert [i["served"]["position"] for i in second["items"]][:1] == [2]  # positions go on
    playlist = client.post(f"{ME}/playlists", json={"size": 2}, headers=auth).json()
    assert [t["served"]["position"] for t in playlist["tracks"]] == [0, 1]


def test_an_app_event_sent_back_with_served_carries_it_to_the_stream(
    client: TestClient, world: World
) -> None:
    auth = bearer(KNOWN_TOKEN)
    answer = client.post(f"{ME}/play", json={"text": "play something relaxing"}, headers=auth)
    track = answer.json()["track"]
    assert track["served"]["position"] == 0 and track["served"]["impression_id"]
    event = {"kind": "finished", "track_id": track["track_id"], "served": track["served"]}
    assert client.post(f"{ME}/events", json={"events": [event]}, headers=auth).status_code == 202
    (published,) = world.published()
    assert published.user_id == KNOWN_USER and published.served is not None
    assert _echoed(published.served) == track["served"]


def test_a_skip_through_the_api_records_what_served_the_skipped_track(
    client: TestClient, world: World
) -> None:
    auth = bearer(KNOWN_TOKEN)
    played = client.post(f"{ME}/play", json={"text": "play something relaxing"}, headers=auth)
    after = client.post(f"{ME}/devices/app/next", headers=auth).json()
    (skip,) = world.published()
    assert skip.kind == "skipped" and skip.served is not None
    assert _echoed(skip.served) == played.json()["track"]["served"]
    assert after["track"]["served"]["position"] == 1  # the next of the same list
    assert after["track"]["served"]["impression_id"] == skip.served.impression_id


def _echoed(served: object) -> object:
    """``served`` as the API shows it."""
    io = ServedIO.of(served)  # type: ignore[arg-type]
    return io.model_dump(mode="json") if io is not None else None


def test_a_list_served_as_ranked_says_every_placement_was_certain(client: TestClient) -> None:
    page = client.get(f"{ME}/recommendations", params={"limit": 3}, headers=bearer(KNOWN_TOKEN))
    assert [item["served"]["propensity"] for item in page.json()["items"]] == [1.0] * 3


@pytest.fixture
def bandit_world(tmp_path: Path) -> Iterator[tuple[World, TestClient]]:
    posteriors = SqlitePosteriorStore(tmp_path / "bandit.db")
    posteriors.ensure_schema()
    config = BanditConfig(top_k=3, exploration=0.5)
    world = build_world(tmp_path, ThompsonReranker(posteriors, config, rng=random.Random(1)))
    app = create_app(
        world.listening,
        world.parser,
        world.skill,
        authenticator=TokenAuthenticator({KNOWN_TOKEN: KNOWN_USER}),
        media_signer=world.stream_urls.signer,
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield world, test_client
    world.close()
    posteriors.close()


def test_a_bandit_s_propensities_reach_answers_queues_and_events(
    bandit_world: tuple[World, TestClient],
) -> None:
    world, client = bandit_world
    auth = bearer(KNOWN_TOKEN)
    page = client.get(f"{ME}/recommendations", params={"limit": 4}, headers=auth).json()
    served = [item["served"] for item in page["items"]]
    assert len(served[0]["propensities"]) == 3  # the top k's; the rest were certain
    assert [s["propensity"] for s in served] == [*served[0]["propensities"], 1.0]
    assert all(0.0 < p < 1.0 for p in served[0]["propensities"])  # exploration: all uncertain
    played = client.post(f"{ME}/play", json={"text": "play something relaxing"}, headers=auth)
    first = played.json()["track"]["served"]
    assert first["propensity"] == first["propensities"][0]
    event = {"kind": "finished", "track_id": played.json()["track"]["track_id"], "served": first}
    assert client.post(f"{ME}/events", json={"events": [event]}, headers=auth).status_code == 202
    client.post(f"{ME}/devices/app/next", headers=auth)  # the API's own skip event
    finished, skipped = world.published()
    assert finished.served is not None and finished.served.propensity == first["propensity"]
    assert skipped.kind == "skipped" and skipped.served is not None
    assert skipped.served.propensities == tuple(first["propensities"])


def test_a_malformed_served_is_422_and_publishes_nothing(client: TestClient, world: World) -> None:
    event = {"kind": "finished", "track_id": "t-pop-1", "served": {"impression_id": "x"}}
    response = client.post(f"{ME}/events", json={"events": [event]}, headers=bearer(KNOWN_TOKEN))
    assert response.status_code == 422
    assert world.published() == []


def test_a_served_with_an_impossible_propensity_is_422(client: TestClient, world: World) -> None:
    served = {"impression_id": "x", "position": 0, "path": "popular", "propensities": [0.0]}
    event = {"kind": "finished", "track_id": "t-pop-1", "served": served}
    response = client.post(f"{ME}/events", json={"events": [event]}, headers=bearer(KNOWN_TOKEN))
    assert response.status_code == 422
    assert world.published() == []
