"""The whole online stack on the production backends, for the feedback and fault tests.

PostgreSQL catalog and Redis cache (real, on 127.0.0.1), DynamoDB stores and a Kinesis
stream (moto); the offline pipeline fills them, ``build_online`` serves them over HTTP, and a
feedback consumer and batch inference run beside it as ``philomath consume`` and
``philomath batch`` would. Helpers act as a listener through POST /alexa.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from philomath.offline import run_offline
from philomath.settings import Settings
from philomath.wiring import Online, build_online
from playback.catalog import Track
from playback.directives import new_token
from recommender.batch.inference import BatchInference
from recommender.batch.promoted_model import load_promoted_model
from recommender.data.etl import unified
from recommender.data.interactions import Interactions
from recommender.feedback.consumer import ConsumedPage, FeedbackConsumer
from recommender.storage.profiles import UserProfile
from skill.alexa.envelopes import audio_player_request, intent_request, linked

STATUS_BELOW_500 = range(100, 500)


@dataclass
class Stack:
    settings: Settings
    online: Online
    client: TestClient
    tracks: list[Track]
    interactions: Interactions
    statuses: Counter[int] = field(default_factory=Counter)
    sent: Counter[tuple[str, str]] = field(default_factory=Counter)  # (user, kind) -> events

    # -- the listener ----------------------------------------------------------------------

    def alexa(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """POST ``envelope`` as the listener it names: from their Alexa account, linked to
        them (the access token is their app's token), so the skill speaks for them."""
        listener = envelope["context"]["System"]["user"]["userId"]
        response = self.client.post("/alexa", json=linked(envelope, token_of(listener)))
        self.statuses[response.status_code] += 1
        body: dict[str, Any] = response.json()
        return body

    def recommendations(self, user_id: str, **params: Any) -> dict[str, Any]:
        """GET the listener's recommendations with their app's token (``n``: how many)."""
        params["limit"] = params.pop("n", 10)
        response = self.client.get(
            f"/v1/users/{user_id}/recommendations",
            params=params,
            headers={"Authorization": f"Bearer {token_of(user_id)}"},
        )
        self.statuses[response.status_code] += 1
        body: dict[str, Any] = response.json()
        return body

    def play(self, user_id: str, track_id: str) -> None:
        """The device reports it started the track."""
        self.alexa(audio_player_request("PlaybackStarted", new_token(track_id), 0, user_id))
        self.sent[(user_id, "started")] += 1

    def skip(self, user_id: str, track_id: str) -> dict[str, Any]:
        """The listener says "Alexa, next" while the track plays, 5 s in."""
        token = new_token(track_id)
        body = self.alexa(
            intent_request(
                "AMAZON.NextIntent", {}, user_id, player_token=token, player_offset_ms=5_000
            )
        )
        self.sent[(user_id, "skipped")] += 1
        return body

    # -- the roles beside the server ---------------------------------------------------------

    def consumer(self, **options: Any) -> FeedbackConsumer:
        backends = self.online.backends
        return FeedbackConsumer(
            backends.events, backends.profiles, backends.catalog, backends.cache, **options
        )

    def consume_all(self, consumer: FeedbackConsumer | None = None) -> list[ConsumedPage]:
        consumer = consumer or self.consumer()
        pages = []
        while (page := consumer.run_once()).read:
            pages.append(page)
        return pages

    def batch(self, extra_tracks: list[Track] | None = None) -> BatchInference:
        backends = self.online.backends
        model = load_promoted_model(self.settings.data_dir / "work" / "models", self.interactions)
        return BatchInference(
            model,
            self.interactions,
            self.tracks + (extra_tracks or []),
            backends.store,
            backends.profiles,
            backends.cache,
        )

    def profile(self, user_id: str) -> UserProfile:
        found = self.online.backends.profiles.get(user_id)
        assert found is not None, user_id
        return found

    def genre_of(self, track_id: str) -> str | None:
        return self.online.backends.catalog.get_tracks([track_id])[track_id].genre

    def assert_no_5xx(self) -> None:
        assert sum(self.statuses.values()) > 0
        assert set(self.statuses) <= set(STATUS_BELOW_500), self.statuses


def token_of(user_id: str) -> str:
    return f"tok-{user_id}"


def production_settings(
    data_dir: Path,
    postgres_schema: tuple[str, str],
    cache_url: str,
    extra_listeners: Iterable[str] = (),
) -> Settings:
    dsn, schema = postgres_schema
    # Every generated listener's app gets a token; Alexa requests here are hand-made.
    listeners = [f"usr-{i:07d}" for i in range(60)] + list(extra_listeners)
    tokens = {token_of(user): user for user in listeners}
    return Settings(
        data_dir=data_dir,
        catalog_url=f"{dsn}?schema={schema}",
        store_url="dynamodb://philomath-test-recommendations",
        profiles_url="dynamodb://philomath-test-profiles",
        cache_url=cache_url,
        events_url="kinesis://philomath-test-events",
        verify_alexa_signatures=False,
        api_tokens=SecretStr(json.dumps(tokens)),
        users=40,
        tracks=400,
        events=4_000,
        seed=3,
        log_level="WARNING",
    )


def start_stack(settings: Settings) -> Iterator[Stack]:
    """Run the pipeline into the backends, then serve them; closed when the test ends."""
    run_offline(settings, progress=False)
    online = build_online(settings)
    unified_dir = settings.data_dir / "work" / "unified"
    stack = Stack(
        settings,
        online,
        TestClient(online.app, raise_server_exceptions=False),
        list(unified.tracks(unified_dir)),
        Interactions.from_unified(unified_dir),
    )
    try:
        yield stack
    finally:
        online.close()


def known_listener(stack: Stack, *, min_plays: int = 20) -> str:
    """A listener with history whose personal list the router serves."""
    for user_id in (str(u) for u in stack.interactions.user_ids):
        profile = stack.online.backends.profiles.get(user_id)
        if profile is not None and profile.play_count >= min_plays:
            return user_id
    pytest.fail("no listener with enough plays in the generated data")
