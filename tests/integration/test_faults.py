"""Fault tests on the production backends (real PostgreSQL and Redis, DynamoDB and Kinesis on
moto): Redis stopped, the store failing, the stream unreachable, the consumer killed in the
middle of a page. Every answer stays below 500, and the profiles' counts prove that each
event the listener caused was applied exactly once."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis

from playback.errors import StreamUnavailable
from recommender.errors import ProfileStoreUnavailable
from recommender.storage.profiles import ProfileStore, UserProfile
from skill.alexa.envelopes import intent_request
from tests.integration.feedback_stack import Stack, known_listener, production_settings, start_stack
from tests.services import free_port

NEWCOMER = "amzn1.ask.account.fault-test-newcomer"


@dataclass
class RedisServer:
    """A redis-server of this test's own, on a free port, that the test may stop."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


def _stack(tmp_path: Path, postgres_schema: tuple[str, str], cache_url: str) -> Iterator[Stack]:
    return start_stack(
        production_settings(tmp_path / "data", postgres_schema, cache_url, [NEWCOMER])
    )


@pytest.fixture
def stack(
    tmp_path: Path, postgres_schema: tuple[str, str], redis_url: str, aws_env: None
) -> Iterator[Stack]:
    yield from _stack(tmp_path, postgres_schema, redis_url)


def _baseline(stack: Stack, users: list[str]) -> dict[str, UserProfile | None]:
    return {user: stack.online.backends.profiles.get(user) for user in users}


def _assert_applied_exactly_once(stack: Stack, before: dict[str, UserProfile | None]) -> None:
    """Every listener's play and skip counts moved by exactly what was sent."""
    for user, old in before.items():
        now = stack.profile(user)
        plays = stack.sent[(user, "started")]
        skips = stack.sent[(user, "skipped")]
        assert now.play_count == (old.play_count if old else 0) + plays, user
        assert now.skip_count == (old.skip_count if old else 0) + skips, user
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    counts = stack.online.backends.profiles.popularity_counts([day])
    sent_plays = sum(n for (_, kind), n in stack.sent.items() if kind == "started")
    assert sum(c.plays for c in counts.values()) == sent_plays


def _listen(stack: Stack, users: list[str], rounds: int = 2) -> None:
    """Each listener asks for music, plays what comes and skips it, ``rounds`` times."""
    for _ in range(rounds):
        for user in users:
            items = stack.recommendations(user, n=3)["items"]
            assert items, user
            stack.play(user, items[0]["track_id"])
            stack.skip(user, items[0]["track_id"])


@pytest.fixture
def redis_stack(
    tmp_path: Path, postgres_schema: tuple[str, str], aws_env: None, own_redis: RedisServer
) -> Iterator[Stack]:
    yield from _stack(tmp_path, postgres_schema, own_redis.url)


def test_redis_stopped_degrades_to_the_store_and_recovers(
    redis_stack: Stack, own_redis: RedisServer
) -> None:
    stack = redis_stack
    user = known_listener(stack)
    before = _baseline(stack, [user, NEWCOMER])
    warm = stack.recommendations(user, n=10)
    assert (warm["path"], warm["degraded"]) == ("personalized", False)

    own_redis.stop()
    for _ in range(5):
        answer = stack.recommendations(user, n=10)
        assert answer["path"] == "personalized" and answer["degraded"]
        assert [i["track_id"] for i in answer["items"]] == [i["track_id"] for i in warm["items"]]
        assert stack.recommendations(NEWCOMER, n=5)["items"]
        _listen(stack, [user, NEWCOMER], rounds=1)
        stack.alexa(intent_request("PlayMusicIntent", {"Mood": "relaxing"}, user))
    stack.consume_all()  # the consumer cannot invalidate the cache: it applies anyway

    own_redis.start()  # an empty Redis on the same port
    deadline = time.monotonic() + 15
    while stack.recommendations(user, n=10)["degraded"]:
        assert time.monotonic() < deadline, "never left the degraded mode"
        time.sleep(0.2)
    assert redis.Redis.from_url(own_redis.url).keys("*recs:*")
    _assert_applied_exactly_once(stack, before)
    stack.assert_no_5xx()


def test_store_failing_serves_live_lists_or_popular_lists_from_memory(
    stack: Stack, redis_url: str
) -> None:
    user = known_listener(stack)
    for who in (user, NEWCOMER):
        stack.recommendations(who, n=10)  # the router reads, and keeps, the charts
    stack.recommendations(user, n=10, mood="relaxing")
    boto3.client("dynamodb", region_name="us-east-1").delete_table(
        TableName="philomath-test-recommendations"
    )
    redis.Redis.from_url(redis_url).flushdb()  # nothing cached either

    # The listener with a history: a list computed live from the model in memory.
    answer = stack.recommendations(user, n=10)
    assert (answer["path"], answer["degraded"]) == ("personalized", True)
    assert len(answer["items"]) == 10
    # The newcomer, with nothing to fold in: the charts this process last read.
    answer = stack.recommendations(NEWCOMER, n=10)
    assert (answer["path"], answer["degraded"]) == ("fallback", True)
    assert answer["reason"] == "a few popular tracks" and len(answer["items"]) == 10
    relaxing = stack.recommendations(user, n=5, mood="relaxing")
    assert relaxing["items"] and all("relaxing" in i["moods"] for i in relaxing["items"])
    body = stack.alexa(intent_request("PlayMusicIntent", {}, user))
    assert any(d["type"] == "AudioPlayer.Play" for d in body["response"]["directives"])
    stack.assert_no_5xx()


def test_profile_store_failing_answers_as_for_a_new_listener(stack: Stack) -> None:
    user = known_listener(stack)
    stack.recommendations(user, n=5)
    boto3.client("dynamodb", region_name="us-east-1").delete_table(
        TableName="philomath-test-profiles"
    )
    redis.Redis.from_url(str(stack.settings.cache_url)).flushdb()
    answer = stack.recommendations(user, n=5)
    assert (answer["path"], answer["degraded"]) == ("cold_start", True)
    assert len(answer["items"]) == 5
    stack.play(user, answer["items"][0]["track_id"])
    with pytest.raises(ProfileStoreUnavailable):  # the consumer stops before its checkpoint
        stack.consumer().run_once()
    stack.assert_no_5xx()


def test_stream_unreachable_spools_events_and_replays_them(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.config import Config

    users = [known_listener(stack), NEWCOMER]
    before = _baseline(stack, users)
    events = stack.online.backends.events
    unreachable = boto3.client(
        "kinesis",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        config=Config(connect_timeout=1, read_timeout=1, retries={"total_max_attempts": 1}),
    )
    # The adapter's own client swapped for one whose endpoint refuses connections.
    monkeypatch.setattr(events, "_client", unreachable)

    _listen(stack, users, rounds=3)

    assert stack.online.listening.events.pending_events == 12  # on disk, none lost
    with pytest.raises(StreamUnavailable):  # the consumer cannot read it either...
        stack.consumer().run_once()
    monkeypatch.undo()  # ...until it is back
    stack.online.listening.events.replay_events()  # (or the spool's drainer, if it woke first)
    assert stack.online.listening.events.pending_events == 0
    pages = stack.consume_all()
    assert sum(page.applied for page in pages) == 12
    _assert_applied_exactly_once(stack, before)
    stack.assert_no_5xx()


class ConsumerKilled(BaseException):
    """The process died: nothing after it runs (not even ``except Exception``)."""


class KillingProfiles:
    """The profile store, until the ``after``-th ``apply_events`` (which commits first when
    ``commit`` is set, the worst case: applied but not checkpointed)."""

    def __init__(self, inner: ProfileStore, after: int, *, commit: bool) -> None:
        self._inner = inner
        self._left = after
        self._commit = commit

    def apply_events(self, user_id: str, event_ids: Any, update: Callable[..., Any]) -> Any:
        self._left -= 1
        if self._left == 0:
            if self._commit:
                self._inner.apply_events(user_id, event_ids, update)
            raise ConsumerKilled
        return self._inner.apply_events(user_id, event_ids, update)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.mark.parametrize("commit", [True, False], ids=["after-commit", "before-commit"])
def test_consumer_killed_mid_page_applies_every_event_once(stack: Stack, commit: bool) -> None:
    users = [str(u) for u in stack.interactions.user_ids[:6]] + [NEWCOMER]
    before = _baseline(stack, users)
    _listen(stack, users, rounds=2)  # 28 events, 7 listeners in one page
    backends = stack.online.backends

    for after in (3, 2, 5):  # three crashes, each part way through the page
        killer = KillingProfiles(backends.profiles, after, commit=commit)
        doomed = stack.consumer(page_size=100)
        doomed._profiles = killer  # a crash part way through a page
        with pytest.raises(ConsumerKilled):
            doomed.run_once()
        assert backends.profiles.get_checkpoint("feedback") is None  # never committed

    pages = stack.consume_all()
    assert len(pages) == 1 and pages[0].read == 28
    assert pages[0].applied + pages[0].duplicates == 28
    assert pages[0].duplicates > 0  # redelivered after the crashes, recognised, skipped
    _assert_applied_exactly_once(stack, before)
    assert stack.consume_all() == []  # the checkpoint moved past the page
    stack.assert_no_5xx()
