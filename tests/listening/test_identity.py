"""ListenerResolver: linked callers by their token, unlinked ones by a listener minted once
per account and per recognized person, mappings kept in process, and forgetting."""

from __future__ import annotations

from pathlib import Path

import pytest

from listening.identity import (
    LISTENER_PREFIX,
    AccountLinkInvalid,
    AlexaCaller,
    Listener,
    ListenerResolver,
)
from listening.memory_identity import MemoryIdentityStore
from listening.sqlite_identity import SqliteIdentityStore
from tests.fakes import FakeClock

ACCOUNT = "amzn1.ask.account.resolver"


class CountingStore(MemoryIdentityStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def listener(self, account: str, person: str) -> str | None:
        self.reads += 1
        return super().listener(account, person)


def verify(token: str) -> str:
    if token == "good-token":
        return "listener-from-the-app"
    raise AccountLinkInvalid("the token's signature does not verify")


def test_an_unlinked_caller_gets_one_stable_minted_listener() -> None:
    resolver = ListenerResolver(MemoryIdentityStore(), verify)
    first = resolver.resolve(AlexaCaller(ACCOUNT))
    assert first.id.startswith(LISTENER_PREFIX) and ACCOUNT not in first.id
    assert not first.linked
    assert resolver.resolve(AlexaCaller(ACCOUNT)) == first
    assert resolver.resolve(AlexaCaller("amzn1.ask.account.someone-else")) != first


def test_the_mapping_survives_a_restart(tmp_path: Path) -> None:
    store = SqliteIdentityStore(tmp_path / "identity.db")
    store.ensure_schema()
    first = ListenerResolver(store).resolve(AlexaCaller(ACCOUNT))
    store.close()
    again = SqliteIdentityStore(tmp_path / "identity.db")
    assert ListenerResolver(again).resolve(AlexaCaller(ACCOUNT)) == first
    again.close()
    # Only hashes of Alexa's ids are kept.
    files = [p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("identity.db")]
    assert not any(b"amzn1.ask" in data for data in files)


def test_a_recognized_person_gets_a_listener_of_their_own() -> None:
    resolver = ListenerResolver(MemoryIdentityStore())
    account = resolver.resolve(AlexaCaller(ACCOUNT))
    ada = resolver.resolve(AlexaCaller(ACCOUNT, person_id="amzn1.ask.person.ada"))
    bo = resolver.resolve(AlexaCaller(ACCOUNT, person_id="amzn1.ask.person.bo"))
    assert len({account.id, ada.id, bo.id}) == 3
    assert resolver.resolve(AlexaCaller(ACCOUNT, person_id="amzn1.ask.person.ada")) == ada


def test_a_linked_caller_is_the_listener_their_token_names() -> None:
    store = MemoryIdentityStore()
    resolver = ListenerResolver(store, verify)
    linked = resolver.resolve(AlexaCaller(ACCOUNT, access_token="good-token"))
    assert linked == Listener("listener-from-the-app", linked=True)
    assert resolver.account_listeners(AlexaCaller(ACCOUNT)) == []  # nothing minted


@pytest.mark.parametrize("verifier", [verify, None])
def test_a_refused_token_never_falls_back_to_the_unlinked_listener(verifier: object) -> None:
    resolver = ListenerResolver(MemoryIdentityStore(), verifier)  # type: ignore[arg-type]
    with pytest.raises(AccountLinkInvalid):
        resolver.resolve(AlexaCaller(ACCOUNT, access_token="forged"))


def test_mappings_are_read_once_per_ttl() -> None:
    store, clock = CountingStore(), FakeClock()
    resolver = ListenerResolver(store, cache_ttl_s=60.0, clock=clock)
    first = resolver.resolve(AlexaCaller(ACCOUNT))
    reads = store.reads
    for _ in range(5):
        assert resolver.resolve(AlexaCaller(ACCOUNT)) == first
    assert store.reads == reads
    clock.advance(61.0)
    assert resolver.resolve(AlexaCaller(ACCOUNT)) == first
    assert store.reads == reads + 1


def test_forget_drops_the_cached_mapping_and_the_caller_starts_afresh() -> None:
    store = MemoryIdentityStore()
    resolver = ListenerResolver(store, verify)
    old = resolver.resolve(AlexaCaller(ACCOUNT))
    ada = resolver.resolve(AlexaCaller(ACCOUNT, person_id="amzn1.ask.person.ada"))
    caller = AlexaCaller(ACCOUNT, access_token="good-token")
    assert resolver.account_listeners(caller) == [old.id, ada.id, "listener-from-the-app"]

    assert resolver.forget(old.id) == 1

    assert resolver.account_listeners(AlexaCaller(ACCOUNT)) == [ada.id]
    assert resolver.resolve(AlexaCaller(ACCOUNT)).id not in (old.id, ada.id)
