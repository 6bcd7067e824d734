"""The ``IdentityStore`` contract, run against every adapter: in memory, SQLite and DynamoDB
(moto)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from listening.dynamodb_identity import DynamoDBIdentityStore
from listening.identity import (
    NO_PERSON,
    IdentityStore,
    IdentityUnavailable,
    account_key,
    person_key,
)
from listening.memory_identity import MemoryIdentityStore
from listening.sqlite_identity import SqliteIdentityStore

StoreFactory = Callable[[], IdentityStore]

ACCOUNT = account_key("amzn1.ask.account.contract")
OTHER = account_key("amzn1.ask.account.other")
PERSON = person_key("amzn1.ask.person.ada")


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def make_store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    auto_closed: Callable[[StoreFactory], StoreFactory],
) -> StoreFactory:
    if request.param == "memory":
        shared = MemoryIdentityStore()
        return lambda: shared
    if request.param == "sqlite":
        return auto_closed(lambda: SqliteIdentityStore(tmp_path / "identity.db"))
    client = request.getfixturevalue("dynamodb")
    return auto_closed(lambda: DynamoDBIdentityStore(client, "identities"))


@pytest.fixture
def store(make_store: StoreFactory) -> IdentityStore:
    store = make_store()
    store.ensure_schema()
    return store


def test_an_unknown_caller_has_no_listener(store: IdentityStore) -> None:
    assert store.listener(ACCOUNT, NO_PERSON) is None
    assert store.listeners_of(ACCOUNT) == []


def test_a_claim_maps_the_caller_for_good(store: IdentityStore, make_store: StoreFactory) -> None:
    assert store.claim(ACCOUNT, NO_PERSON, "lsn-a") == "lsn-a"
    assert store.claim(ACCOUNT, NO_PERSON, "lsn-b") == "lsn-a"  # the first claim stays
    again = make_store()  # another process, the same data
    assert again.listener(ACCOUNT, NO_PERSON) == "lsn-a"


def test_a_person_and_another_account_map_apart(store: IdentityStore) -> None:
    store.claim(ACCOUNT, NO_PERSON, "lsn-account")
    store.claim(ACCOUNT, PERSON, "lsn-person")
    store.claim(OTHER, NO_PERSON, "lsn-other")
    assert store.listener(ACCOUNT, PERSON) == "lsn-person"
    assert sorted(store.listeners_of(ACCOUNT)) == ["lsn-account", "lsn-person"]
    assert store.listeners_of(OTHER) == ["lsn-other"]


def test_forget_removes_every_mapping_to_the_listener_only(store: IdentityStore) -> None:
    store.claim(ACCOUNT, NO_PERSON, "lsn-gone")
    store.claim(ACCOUNT, PERSON, "lsn-kept")
    assert store.forget("lsn-gone") == 1
    assert store.listener(ACCOUNT, NO_PERSON) is None
    assert store.listeners_of(ACCOUNT) == ["lsn-kept"]
    assert store.forget("lsn-gone") == 0
    # The caller comes back: a new listener, nothing of the old one.
    assert store.claim(ACCOUNT, NO_PERSON, "lsn-new") == "lsn-new"


def test_of_concurrent_first_claims_exactly_one_wins(
    store: IdentityStore, make_store: StoreFactory
) -> None:
    start = threading.Barrier(4)
    won: list[str] = []

    def claim(n: int) -> None:
        mine = make_store()
        start.wait()
        won.append(mine.claim(ACCOUNT, NO_PERSON, f"lsn-{n}"))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(won)) == 1 and store.listener(ACCOUNT, NO_PERSON) == won[0]


def test_sqlite_on_an_unusable_path_raises_identity_unavailable(
    unusable_sqlite_path: Path,
) -> None:
    with pytest.raises(IdentityUnavailable):
        SqliteIdentityStore(unusable_sqlite_path).listener(ACCOUNT, NO_PERSON)


def test_unreachable_dynamodb_raises_identity_unavailable(unreachable_dynamodb: Any) -> None:
    with pytest.raises(IdentityUnavailable):
        DynamoDBIdentityStore(unreachable_dynamodb, "identities").listener(ACCOUNT, NO_PERSON)
