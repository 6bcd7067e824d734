"""The ``ProfileStore`` contract, run against every adapter: SQLite and DynamoDB (moto).

Each test gets ``make_profiles``, a factory of stores over one fresh storage (a SQLite file
in ``tmp_path``, a DynamoDB table in moto), so a test can open a second store on the same data.
The feedback state (``apply_events`` exactly once, counters, changed marks, checkpoints)
ends the file.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from recommender.errors import ProfileStoreUnavailable
from recommender.storage.dynamodb_profiles import DynamoDBProfileStore
from recommender.storage.profiles import (
    APPLY_CHUNK,
    ChangedUser,
    ProfileChange,
    ProfileStore,
    RecentEvent,
    TrackCounts,
    UserProfile,
)
from recommender.storage.sqlite_profiles import SqliteProfileStore

ProfilesFactory = Callable[[], ProfileStore]
TABLE = "profiles"


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_profiles(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    auto_closed: Callable[[ProfilesFactory], ProfilesFactory],
) -> ProfilesFactory:
    if request.param == "sqlite":
        return auto_closed(lambda: SqliteProfileStore(tmp_path / "profiles.db"))
    client = request.getfixturevalue("dynamodb")
    return auto_closed(lambda: DynamoDBProfileStore(client, TABLE))


@pytest.fixture
def profiles(make_profiles: ProfilesFactory) -> ProfileStore:
    profiles = make_profiles()
    profiles.ensure_schema()
    return profiles


FULL = UserProfile(
    user_id="amzn1.ask.account.ÄBC-ß",
    country="DE",
    birth_year=1988,
    gender="nonbinary",
    explicit_allowed=False,
    signed_up_at=1_690_000_000.987654,
    stated_genres=("jazz", "électro", "k-pop"),
    stated_moods=("calm",),
    play_count=1_234,
    skip_count=56,
    genre_affinity={"jazz": 0.30000000000000004, "rock": -1.0, "électro": 1 / 3, "calm": 0.0},
    recent_track_ids=("t9", "t3", "t9"),
)


# --- round trips -----------------------------------------------------------------------


def test_unknown_listener_is_none(profiles: ProfileStore) -> None:
    assert profiles.get("nobody") is None
    profiles.put_many([UserProfile("someone")])

    assert profiles.get("nobody") is None


def test_every_field_round_trips_exactly(profiles: ProfileStore) -> None:
    assert profiles.put_many([FULL]) == 1

    got = profiles.get(FULL.user_id)

    assert got == FULL
    assert got is not None
    assert isinstance(got.stated_genres, tuple) and isinstance(got.recent_track_ids, tuple)
    assert isinstance(got.stated_moods, tuple)
    assert all(type(value) is float for value in got.genre_affinity.values())
    assert list(got.genre_affinity) == list(FULL.genre_affinity)  # key order kept too


def test_defaults_round_trip(profiles: ProfileStore) -> None:
    bare = UserProfile("u-bare")

    profiles.put_many([bare])

    got = profiles.get("u-bare")
    assert got == bare
    assert got is not None and got.country is None and got.signed_up_at is None
    assert got.stated_genres == () and got.genre_affinity == {}


def test_random_affinities_keep_every_bit(profiles: ProfileStore) -> None:
    rng = random.Random(11)
    many = [
        UserProfile(
            f"u{i}",
            genre_affinity={f"g{j}": rng.uniform(-1, 1) for j in range(20)},
            signed_up_at=rng.uniform(1e9, 2e9),
        )
        for i in range(50)
    ]
    profiles.put_many(many)

    assert [profiles.get(p.user_id) for p in many] == many


def test_put_replaces_the_whole_profile(profiles: ProfileStore) -> None:
    profiles.put_many([FULL, UserProfile("other", play_count=1)])
    newer = replace(
        FULL,
        country=None,
        stated_genres=(),
        genre_affinity={"pop": 0.5},
        play_count=FULL.play_count + 1,
    )

    assert profiles.put_many([newer]) == 1

    assert profiles.get(FULL.user_id) == newer
    assert profiles.get("other") == UserProfile("other", play_count=1)


def test_last_duplicate_in_one_put_wins(profiles: ProfileStore) -> None:
    profiles.put_many(
        [UserProfile("u1", play_count=1), UserProfile("u2"), UserProfile("u1", play_count=2)]
    )

    assert profiles.get("u1") == UserProfile("u1", play_count=2)
    assert profiles.get("u2") == UserProfile("u2")


def test_bulk_put_from_a_generator(profiles: ProfileStore) -> None:
    total = 3_000
    consumed = 0

    def many() -> Iterator[UserProfile]:
        nonlocal consumed
        for i in range(total):
            consumed += 1
            yield UserProfile(f"user-{i}", play_count=i, stated_genres=("rock",))

    assert profiles.put_many(many()) == total

    assert consumed == total
    for i in (0, 1, 1_500, total - 1):
        assert profiles.get(f"user-{i}") == UserProfile(
            f"user-{i}", play_count=i, stated_genres=("rock",)
        )


def test_put_of_nothing_writes_nothing(profiles: ProfileStore) -> None:
    assert profiles.put_many([]) == 0
    assert profiles.get("u1") is None


def test_ensure_schema_is_idempotent_and_keeps_data(
    profiles: ProfileStore, make_profiles: ProfilesFactory
) -> None:
    profiles.put_many([FULL])

    profiles.ensure_schema()
    other = make_profiles()
    other.ensure_schema()

    assert other.get(FULL.user_id) == FULL


def test_reopens_after_close(profiles: ProfileStore) -> None:
    profiles.put_many([FULL])

    profiles.close()
    profiles.close()  # closing twice is harmless

    assert profiles.get(FULL.user_id) == FULL


def test_concurrent_reads_and_writes_from_threads(profiles: ProfileStore) -> None:
    profiles.put_many(UserProfile(f"u{i}", play_count=i) for i in range(200))

    def write(batch: int) -> int:
        return profiles.put_many(UserProfile(f"w{batch}-{i}") for i in range(30))

    def read(worker: int) -> bool:
        rng = random.Random(worker)
        for _ in range(50):
            i = rng.randrange(200)
            if profiles.get(f"u{i}") != UserProfile(f"u{i}", play_count=i):
                return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        writes = [pool.submit(write, batch) for batch in range(4)]
        reads = [pool.submit(read, worker) for worker in range(8)]
        assert [future.result() for future in reads] == [True] * 8
        assert [future.result() for future in writes] == [30] * 4

    assert profiles.get("w3-29") == UserProfile("w3-29")


# --- unreachable backends ------------------------------------------------------------------


def _assert_every_call_unavailable(profiles: ProfileStore) -> None:
    # Constructing the adapter did no I/O, so it could not fail: every call does.
    with pytest.raises(ProfileStoreUnavailable):
        profiles.ensure_schema()
    with pytest.raises(ProfileStoreUnavailable):
        profiles.put_many([FULL])
    with pytest.raises(ProfileStoreUnavailable):
        profiles.get(FULL.user_id)
    with pytest.raises(ProfileStoreUnavailable):
        profiles.get_many([FULL.user_id])
    with pytest.raises(ProfileStoreUnavailable):
        profiles.apply_events(FULL.user_id, ["e1"], _count_plays)
    with pytest.raises(ProfileStoreUnavailable):
        profiles.changed_users()
    with pytest.raises(ProfileStoreUnavailable):
        profiles.get_checkpoint("feedback")
    with pytest.raises(ProfileStoreUnavailable):
        profiles.popularity_counts([DAY])
    profiles.close()


def test_unusable_sqlite_file_raises_profile_store_unavailable(unusable_sqlite_path: Path) -> None:
    _assert_every_call_unavailable(SqliteProfileStore(unusable_sqlite_path))


def test_unreachable_dynamodb_raises_profile_store_unavailable(unreachable_dynamodb: Any) -> None:
    _assert_every_call_unavailable(DynamoDBProfileStore(unreachable_dynamodb, TABLE))


def test_dynamodb_table_that_does_not_exist_is_unavailable(dynamodb: Any) -> None:
    profiles = DynamoDBProfileStore(dynamodb, "never-created")

    with pytest.raises(ProfileStoreUnavailable):
        profiles.get("u1")
    with pytest.raises(ProfileStoreUnavailable):
        profiles.put_many([FULL])


# --- unreadable stored data, written behind each adapter's back ------------------------------


def test_sqlite_unreadable_profile_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "profiles.db"
    profiles = SqliteProfileStore(path)
    profiles.ensure_schema()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO profiles VALUES ('u1', '{\"schema_version\": 99}')")

    with pytest.raises(ProfileStoreUnavailable):
        profiles.get("u1")
    profiles.close()


def test_dynamodb_unreadable_profile_is_unavailable_not_a_crash(dynamodb: Any) -> None:
    profiles = DynamoDBProfileStore(dynamodb, TABLE)
    profiles.ensure_schema()
    dynamodb.put_item(TableName=TABLE, Item={"user_id": {"S": "u1"}, "profile": {"S": "[1, 2"}})

    with pytest.raises(ProfileStoreUnavailable):
        profiles.get("u1")


def test_dynamodb_table_design(dynamodb: Any) -> None:
    DynamoDBProfileStore(dynamodb, TABLE).ensure_schema()

    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "user_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


# --- feedback state ------------------------------------------------------------------------

DAY = "2026-01-01"


def _count_plays(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
    """An update that counts events as plays of track ``t-<id>`` on DAY."""
    profile = current or UserProfile("?")
    counts = {(DAY, f"t-{event_id}"): TrackCounts(plays=1) for event_id in new_ids}
    return ProfileChange(replace(profile, play_count=profile.play_count + len(new_ids)), counts)


def _for(user_id: str) -> Callable[[UserProfile | None, Sequence[str]], ProfileChange]:
    def update(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
        change = _count_plays(current or UserProfile(user_id), new_ids)
        return change

    return update


def test_get_many_returns_the_known_listeners(profiles: ProfileStore) -> None:
    profiles.put_many([UserProfile("a", play_count=1), UserProfile("b", play_count=2)])
    assert profiles.get_many(["a", "b", "nobody", "a"]) == {
        "a": UserProfile("a", play_count=1),
        "b": UserProfile("b", play_count=2),
    }
    assert profiles.get_many([]) == {}


def test_apply_events_applies_each_event_exactly_once(profiles: ProfileStore) -> None:
    calls: list[tuple[int, tuple[str, ...]]] = []

    def update(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
        calls.append((current.play_count if current else -1, tuple(new_ids)))
        return _for("u1")(current, new_ids)

    assert profiles.apply_events("u1", ["e1", "e2"], update) == ["e1", "e2"]
    assert profiles.apply_events("u1", ["e2", "e3", "e3"], update) == ["e3"]
    assert profiles.apply_events("u1", ["e1", "e3"], update) == []

    assert calls == [(-1, ("e1", "e2")), (2, ("e3",))]
    profile = profiles.get("u1")
    assert profile is not None and profile.play_count == 3
    # Another listener's events with the same ids are theirs to apply.
    assert profiles.apply_events("u2", ["e1"], _for("u2")) == ["e1"]


def test_apply_events_keeps_the_profile_it_updates(profiles: ProfileStore) -> None:
    profiles.put_many([replace(FULL, play_count=10)])

    profiles.apply_events(FULL.user_id, ["e1"], _count_plays)

    assert profiles.get(FULL.user_id) == replace(FULL, play_count=11)


def _dislike(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
    """An update that records each event as a dislike of track ``t-<id>``."""
    profile = current or UserProfile("u1")
    disliked = tuple(f"t-{event_id}" for event_id in reversed(new_ids))
    return ProfileChange(replace(profile, disliked_track_ids=disliked + profile.disliked_track_ids))


def test_refresh_takes_the_feed_and_keeps_live_feedback(profiles: ProfileStore) -> None:
    live = replace(
        UserProfile("u1", country="SE", play_count=3),
        liked_track_ids=("t-liked",),
        recent_events=(RecentEvent("t-liked", "liked", 1_700_000_000.0, "jazz", ("calm",)),),
    )
    profiles.put_many([live])
    profiles.apply_events("u1", ["e1"], _dislike)
    from_feed = replace(FULL, user_id="u1", liked_track_ids=(), disliked_track_ids=())

    assert profiles.refresh_many([from_feed, UserProfile("new", play_count=2)]) == 2

    assert profiles.get("u1") == replace(
        from_feed,
        liked_track_ids=("t-liked",),
        disliked_track_ids=("t-e1",),  # "never play this again" survives the nightly run
        recent_events=live.recent_events,
    )
    assert profiles.get("new") == UserProfile("new", play_count=2)
    assert profiles.apply_events("u1", ["e1"], _dislike) == []  # still applied once


def test_refresh_never_loses_a_concurrent_event(profiles: ProfileStore) -> None:
    events = [f"e{i}" for i in range(30)]

    def apply_all() -> None:
        for event_id in events:
            profiles.apply_events("u1", [event_id], _dislike)

    def refresh_all() -> None:
        for n in range(30):
            profiles.refresh_many([UserProfile("u1", play_count=n)])

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(apply_all), pool.submit(refresh_all)]:
            done.result()

    profile = profiles.get("u1")
    assert profile is not None and profile.play_count == 29
    assert sorted(profile.disliked_track_ids) == sorted(f"t-{e}" for e in events)


def test_more_events_than_one_chunk_are_all_applied_once(profiles: ProfileStore) -> None:
    ids = [f"e{i}" for i in range(APPLY_CHUNK * 2 + 7)]

    assert profiles.apply_events("u1", ids, _for("u1")) == ids
    assert profiles.apply_events("u1", ids, _for("u1")) == []

    profile = profiles.get("u1")
    assert profile is not None and profile.play_count == len(ids)
    assert sum(c.plays for c in profiles.popularity_counts([DAY]).values()) == len(ids)


def test_a_failing_update_writes_nothing(profiles: ProfileStore) -> None:
    def broken(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
        raise RuntimeError("bug in the fold")

    with pytest.raises(RuntimeError):
        profiles.apply_events("u1", ["e1"], broken)

    assert profiles.get("u1") is None
    assert profiles.changed_users() == []
    assert profiles.apply_events("u1", ["e1"], _for("u1")) == ["e1"]


def test_an_update_for_another_listener_is_refused(profiles: ProfileStore) -> None:
    with pytest.raises(ValueError, match="another listener"):
        profiles.apply_events("u1", ["e1"], _for("someone-else"))
    assert profiles.get("u1") is None


def test_popularity_counters_add_up_per_day(profiles: ProfileStore) -> None:
    def update(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
        counts = {
            ("2026-01-01", "t1"): TrackCounts(plays=2, skips=1),
            ("2026-01-02", "t1"): TrackCounts(finishes=1),
            ("2026-01-02", "t2"): TrackCounts(likes=1, dislikes=0),
        }
        return ProfileChange(current or UserProfile("u1"), counts)

    profiles.apply_events("u1", ["e1"], update)
    profiles.apply_events("u1", ["e2"], update)

    assert profiles.popularity_counts(["2026-01-01"]) == {"t1": TrackCounts(plays=4, skips=2)}
    assert profiles.popularity_counts(["2026-01-01", "2026-01-02", "2026-01-02"]) == {
        "t1": TrackCounts(plays=4, finishes=2, skips=2),
        "t2": TrackCounts(likes=2),
    }
    assert profiles.popularity_counts(["2025-12-31"]) == {}


def test_changed_marks_are_set_by_apply_and_cleared_unless_newer(
    profiles: ProfileStore,
) -> None:
    assert profiles.changed_users() == []
    profiles.apply_events("u1", ["e1"], _for("u1"))
    profiles.apply_events("u2", ["e1"], _for("u2"))
    marks = profiles.changed_users()
    assert [m.user_id for m in marks] == ["u1", "u2"]  # oldest change first
    assert profiles.changed_users(limit=1) == marks[:1]

    older = ChangedUser("u1", marks[0].changed_at - 1.0)
    assert profiles.clear_changed([older]) == 0  # it changed after that: keep the mark
    assert profiles.clear_changed(marks) == 2
    assert profiles.changed_users() == []
    assert profiles.clear_changed(marks) == 0


def test_checkpoints_round_trip_per_consumer(
    profiles: ProfileStore, make_profiles: ProfilesFactory
) -> None:
    assert profiles.get_checkpoint("feedback") is None
    position = '{"shardId-000000000000":"49590338271490256608559692538361571095921575989136588898"}'
    profiles.put_checkpoint("feedback", position)
    profiles.put_checkpoint("other", "17")
    profiles.put_checkpoint("other", "18")

    reopened = make_profiles()
    assert reopened.get_checkpoint("feedback") == position
    assert reopened.get_checkpoint("other") == "18"


class _OneCallAtATime:
    """A DynamoDB client that lets one call through at a time: moto's TransactWriteItems is
    not thread-safe, DynamoDB's is. Calls of different workers still interleave, so a read
    and the transaction after it can be overtaken, which is what the test is after."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._client, name)

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return call(*args, **kwargs)

        return locked


def test_concurrent_appliers_apply_each_event_once(
    make_profiles: ProfilesFactory, request: pytest.FixtureRequest
) -> None:
    first = make_profiles()
    first.ensure_schema()
    build = make_profiles
    if isinstance(first, DynamoDBProfileStore):
        client = _OneCallAtATime(request.getfixturevalue("dynamodb"))
        build = lambda: DynamoDBProfileStore(client, TABLE)  # noqa: E731
    ids = [f"e{i:03d}" for i in range(60)]
    start = threading.Barrier(4)

    def apply(worker: int) -> int:
        store = build()  # one adapter per worker, as separate consumers have
        order = ids[worker * 7 :] + ids[: worker * 7]
        start.wait()
        applied = 0
        for at in range(0, len(order), 12):
            for _ in range(20):  # a consumer retries a pass that failed
                try:
                    applied += len(store.apply_events("u1", order[at : at + 12], _for("u1")))
                    break
                except ProfileStoreUnavailable:
                    continue
        return applied

    with ThreadPoolExecutor(max_workers=4) as pool:
        applied = sum(pool.map(apply, range(4)))

    assert applied == len(ids)
    profile = first.get("u1")
    assert profile is not None and profile.play_count == len(ids)
    assert sum(c.plays for c in first.popularity_counts([DAY]).values()) == len(ids)


# --- erasure -------------------------------------------------------------------------------


def test_forget_erases_the_listener_and_their_late_events_stay_out(
    profiles: ProfileStore,
) -> None:
    profiles.put_many([UserProfile("gone", play_count=5), UserProfile("kept", play_count=7)])
    profiles.apply_events("gone", ["e1", "e2"], _for("gone"))
    profiles.apply_events("kept", ["e1"], _for("kept"))

    assert profiles.forget("gone") >= 4  # the profile, two applied ids, the changed mark

    assert profiles.get("gone") is None
    assert [mark.user_id for mark in profiles.changed_users()] == ["kept"]
    # An event still in the stream, new or replayed, does not bring the profile back.
    assert profiles.apply_events("gone", ["e1", "e3"], _for("gone")) == []
    assert profiles.refresh_many([UserProfile("gone", play_count=9)]) == 0
    assert profiles.get("gone") is None
    kept = profiles.get("kept")
    assert kept is not None and kept.play_count == 8
    assert profiles.forget("nobody") == 0
    assert profiles.forgotten(["gone", "kept", "stranger"]) == {"gone"}
    assert profiles.forgotten([]) == set()


@pytest.fixture(params=["sqlite", "dynamodb"])
def no_tombstones(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    """A store whose tombstones expire at once: what ``forget`` deleted shows."""
    store: ProfileStore
    if request.param == "sqlite":
        store = SqliteProfileStore(tmp_path / "profiles.db", tombstone_ttl_s=0.0)
    else:
        store = DynamoDBProfileStore(
            request.getfixturevalue("dynamodb"), TABLE, tombstone_ttl_s=0.0
        )
    store.ensure_schema()
    yield store
    store.close()


def test_forget_deletes_the_applied_event_ids(no_tombstones: ProfileStore) -> None:
    no_tombstones.apply_events("gone", ["e1", "e2"], _for("gone"))
    no_tombstones.forget("gone")
    time.sleep(1.1)  # DynamoDB's TTL counts whole seconds

    # Once the tombstone is past, the same ids apply afresh: none was left applied.
    assert no_tombstones.apply_events("gone", ["e1", "e2"], _for("gone")) == ["e1", "e2"]
    profile = no_tombstones.get("gone")
    assert profile is not None and profile.play_count == 2
