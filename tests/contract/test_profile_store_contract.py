"""The ``ProfileStore`` contract, run against every adapter: SQLite and DynamoDB (moto).

Each test gets ``make_profiles``, a factory of stores over one fresh storage (a SQLite file
in ``tmp_path``, a DynamoDB table in moto), so a test can open a second store on the same data.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from recommender.dynamodb_profiles import DynamoDBProfileStore
from recommender.errors import ProfileStoreUnavailable
from recommender.profiles import ProfileStore, UserProfile
from recommender.sqlite_profiles import SqliteProfileStore

ProfilesFactory = Callable[[], ProfileStore]
TABLE = "profiles"


def _dynamodb_client(**options: Any) -> Any:
    import boto3

    return boto3.client("dynamodb", region_name="us-east-1", **options)


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_profiles(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfilesFactory]:
    opened: list[ProfileStore] = []
    if request.param == "sqlite":

        def build() -> ProfileStore:
            return SqliteProfileStore(tmp_path / "profiles.db")
    else:
        request.getfixturevalue("aws_env")
        client = _dynamodb_client()

        def build() -> ProfileStore:
            return DynamoDBProfileStore(client, TABLE)

    def factory() -> ProfileStore:
        profiles = build()
        opened.append(profiles)
        return profiles

    yield factory
    for profiles in opened:
        profiles.close()


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


def _sqlite_in_missing_dir(tmp_path: Path) -> ProfileStore:
    return SqliteProfileStore(tmp_path / "no" / "such" / "dir" / "profiles.db")


def _sqlite_not_a_database(tmp_path: Path) -> ProfileStore:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a SQLite database\n" * 200)
    return SqliteProfileStore(path)


def _dynamodb_closed_port(tmp_path: Path) -> ProfileStore:
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=1, retries={"total_max_attempts": 1})
    return DynamoDBProfileStore(
        _dynamodb_client(endpoint_url="http://127.0.0.1:1", config=config), TABLE
    )


@pytest.mark.parametrize(
    "broken", [_sqlite_in_missing_dir, _sqlite_not_a_database, _dynamodb_closed_port]
)
def test_unreachable_backend_raises_profile_store_unavailable(
    broken: Callable[[Path], ProfileStore], tmp_path: Path, aws_env: None
) -> None:
    profiles = broken(tmp_path)  # constructing does no I/O, so it cannot fail

    with pytest.raises(ProfileStoreUnavailable):
        profiles.ensure_schema()
    with pytest.raises(ProfileStoreUnavailable):
        profiles.put_many([FULL])
    with pytest.raises(ProfileStoreUnavailable):
        profiles.get(FULL.user_id)
    profiles.close()


def test_dynamodb_table_that_does_not_exist_is_unavailable(aws_env: None) -> None:
    profiles = DynamoDBProfileStore(_dynamodb_client(), "never-created")

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


def test_dynamodb_unreadable_profile_is_unavailable_not_a_crash(aws_env: None) -> None:
    client = _dynamodb_client()
    profiles = DynamoDBProfileStore(client, TABLE)
    profiles.ensure_schema()
    client.put_item(TableName=TABLE, Item={"user_id": {"S": "u1"}, "profile": {"S": "[1, 2"}})

    with pytest.raises(ProfileStoreUnavailable):
        profiles.get("u1")


def test_dynamodb_table_design(aws_env: None) -> None:
    client = _dynamodb_client()
    DynamoDBProfileStore(client, TABLE).ensure_schema()

    table = client.describe_table(TableName=TABLE)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "user_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
