"""Forgetting a listener leaves nothing behind: after SkillDisabled (an unlinked account)
or ``DELETE /v1/users/me`` (a linked one), no table of any store file holds the listener's
id or the hash their queue keys start with, no cached copy remains, and their events still in
the stream, replayed, do not bring a profile back.

The event stream itself is a log that ages out on its own retention: the records stay there
until then, and the feedback consumer drops them (the profile store's tombstone). The listen
archive is rewritten by the next offline run, which carries out the erasure recorded in it
(``philomath.offline.apply_requested_erasures``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from listening.routines import Routine
from playback.events import PlaybackEvent
from playback.queue import owner_prefix
from recommender.feedback.consumer import FeedbackConsumer
from recommender.storage.cache import list_key, profile_key
from recommender.storage.profiles import UserProfile
from recommender.storage.recommendations import RecommendationList
from skill.alexa import envelopes, handle_envelope
from skill.api.security.auth import TokenAuthenticator
from tests.fakes import KNOWN_USER, World
from tests.identity_world import IdentityWorld, build_identity_world
from tests.integration.api_client import assert_problem, bearer
from tests.skill.golden import DEVICE, USER, load_envelope

LINKED_TOKEN = "golden-linked-access-token"
# Files that are logs with a retention of their own, not listener data.
LOGS = ("events.db", "spool.db", "recorder-spool.db")


@pytest.fixture
def stack(world: World, tmp_path: Path) -> Iterator[IdentityWorld]:
    built = build_identity_world(world, TokenAuthenticator({LINKED_TOKEN: KNOWN_USER}), tmp_path)
    yield built
    built.close()


def consume(stack: IdentityWorld, name: str = "feedback") -> None:
    """One page of the feedback consumer ``name`` (another name reads from the start)."""
    world = stack.world
    consumer = FeedbackConsumer(
        world.events, world.profiles, world.catalog, stack.cache, name=name,
        archive=stack.archive,
    )  # fmt: skip
    consumer.run_once()


def holders(directory: Path, *needles: str) -> list[str]:
    """Every ``file:table`` under ``directory`` with a value containing one of ``needles``
    (a forgotten listener's tombstone excepted: it holds nothing but the id), and every
    listen-archive partition naming one."""
    found = [
        f"listens:{path.parent.name}"
        for path in [*directory.glob("listens/shard=*/*.csv"), *directory.glob("listens/*/*.id")]
        if any(needle in path.read_text(encoding="utf-8") for needle in needles)
    ]
    for path in sorted(directory.glob("*.db")):
        if path.name in LOGS:
            continue
        with sqlite3.connect(path) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                if table == "forgotten":
                    continue
                for row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608
                    text = " ".join(
                        v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                        for v in row
                    )
                    if any(needle in text for needle in needles):
                        found.append(f"{path.name}:{table}")
    return sorted(set(found))


def personal_list(listener: str) -> RecommendationList:
    return RecommendationList(
        listener, "all", "test.v1", ("t-jazz-1", "t-relax-2", "t-pop-1"), (3.0, 2.0, 1.0), 1.0
    )


def test_skill_disabled_leaves_no_data_behind(stack: IdentityWorld, tmp_path: Path) -> None:
    world = stack.world
    handle_envelope(stack.skill, load_envelope("play_music_mood_resolved"))
    listener = stack.minted(USER)
    assert listener is not None
    handle_envelope(stack.skill, load_envelope("audio_started"))
    handle_envelope(stack.skill, load_envelope("audio_finished"))  # a play: archived
    world.profiles.put_many([UserProfile(listener, play_count=42)])  # past the cold start
    consume(stack)  # the profile, its applied event id, the changed mark
    world.store.put_lists([personal_list(listener)])
    world.store.put_lists([personal_list(listener)], snapshot="test.v2.staged")
    routines = stack.listening.routines
    assert routines is not None
    routines.add(
        Routine(routine_id="r1", user_id=listener, name="wind down", mood="relaxing",
                at="22:00", created_at=1.0)
    )  # fmt: skip
    # "Alexa, play music": the listener's own list, which the router caches.
    handle_envelope(stack.skill, envelopes.intent_request("PlayMusicIntent", {}, USER))
    # Everything the test checks for is there before the erasure.
    assert world.profiles.get(listener) is not None
    cached = stack.cache.live_keys_naming(listener)
    assert profile_key(listener) in cached and list_key("", listener, "all") in cached
    assert holders(tmp_path, listener, owner_prefix(listener)) == [
        "identity.db:identities",
        "listens:shard=0",
        "profiles.db:applied_events",
        "profiles.db:changed_profiles",
        "profiles.db:profiles",
        "queues.db:device_queues",
        "recommendations.db:recommendations",
    ]

    assert handle_envelope(stack.skill, load_envelope("skill_disabled"))["response"] == {}

    # The archive's rows wait, with the erasure's record, for the next offline run.
    assert holders(tmp_path, listener) == ["listens:erasures", "listens:shard=0"]
    assert stack.archive.forget_requested() == (listener,)
    assert holders(tmp_path, listener, owner_prefix(listener)) == []
    assert stack.cache.live_keys_naming(listener) == []
    assert routines.for_listener(listener) == []
    assert stack.minted(USER) is None
    # The listener's events still in the stream, replayed from the start, stay dropped.
    late = PlaybackEvent(kind="finished", user_id=listener, track_id="t-pop-1", offset_ms=9_000)
    world.events.publish([late])
    consume(stack)
    consume(stack, name="replay")
    assert world.profiles.get(listener) is None
    assert holders(tmp_path, listener, owner_prefix(listener)) == []

    # The account comes back: a new listener, nothing of the old one.
    handle_envelope(stack.skill, load_envelope("play_music_mood_resolved"))
    assert stack.minted(USER) not in (None, listener)


def test_delete_me_forgets_a_linked_listener_in_every_store(
    stack: IdentityWorld, tmp_path: Path
) -> None:
    world = stack.world
    envelope = load_envelope("linked_play_mood")
    handle_envelope(stack.skill, envelope)  # the linked listener's queue on the device
    assert world.queue_of(KNOWN_USER, DEVICE) is not None
    handle_envelope(stack.skill, load_envelope("play_music_mood_resolved"))  # another one
    other = stack.minted(USER)
    assert holders(tmp_path, KNOWN_USER) != []

    with TestClient(stack.app) as client:
        assert_problem(client.delete("/v1/users/me"), 401)
        assert_problem(client.delete("/v1/users/other", headers=bearer(LINKED_TOKEN)), 403)
        answer = client.delete("/v1/users/me", headers=bearer(LINKED_TOKEN))
        assert answer.status_code == 204, answer.text
        again = client.delete(f"/v1/users/{KNOWN_USER}", headers=bearer(LINKED_TOKEN))
        assert again.status_code == 204  # harmless to repeat

    assert holders(tmp_path, KNOWN_USER, owner_prefix(KNOWN_USER)) == ["listens:erasures"]
    assert stack.archive.forget_requested() == (KNOWN_USER,)  # the next offline run
    assert holders(tmp_path, KNOWN_USER, owner_prefix(KNOWN_USER)) == []
    assert world.profiles.get(KNOWN_USER) is None
    world.events.publish([PlaybackEvent(kind="liked", user_id=KNOWN_USER, track_id="t-pop-1")])
    consume(stack)
    assert world.profiles.get(KNOWN_USER) is None
    # The unlinked listener of the same Alexa account is not the token's: it stays.
    assert other is not None and stack.minted(USER) == other
    assert world.queue_of(other, DEVICE) is not None


def test_a_store_that_fails_makes_the_erasure_answer_503_and_a_retry_finishes(
    stack: IdentityWorld, tmp_path: Path
) -> None:
    handle_envelope(stack.skill, load_envelope("linked_play_mood"))
    real_forget = stack.world.queues.forget
    calls = []

    def failing(user_id: str) -> int:
        calls.append(user_id)
        if len(calls) == 1:
            raise RuntimeError("queue store down")
        return real_forget(user_id)

    stack.world.queues.forget = failing  # type: ignore[method-assign]
    with TestClient(stack.app) as client:
        first = client.delete("/v1/users/me", headers=bearer(LINKED_TOKEN))
        assert_problem(first, 503)
        assert client.delete("/v1/users/me", headers=bearer(LINKED_TOKEN)).status_code == 204
    assert holders(tmp_path, KNOWN_USER, owner_prefix(KNOWN_USER)) == ["listens:erasures"]
