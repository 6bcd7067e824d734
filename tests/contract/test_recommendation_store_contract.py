"""The ``RecommendationStore`` contract, run against every adapter: SQLite and DynamoDB (moto).

Each test gets ``make_store``, a factory of stores over one fresh storage (a SQLite file in
``tmp_path``, a DynamoDB table in moto), so a test can open a second store on the same data.
DynamoDB-specific guarantees (table design, TTL, item limit, retries) follow the shared suite,
and the snapshot contract (staged, published at once, rolled back, dropped) ends the file.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from recommender.errors import StoreUnavailable
from recommender.storage.dynamodb_recommendations import DEFAULT_TTL_S, DynamoDBRecommendationStore
from recommender.storage.recommendations import (
    BASE_SNAPSHOT,
    POPULAR_USER,
    RecommendationList,
    RecommendationStore,
    SnapshotPointer,
    new_snapshot_id,
)
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore

StoreFactory = Callable[[], RecommendationStore]
TABLE = "recommendations"


@pytest.fixture(params=["sqlite", "dynamodb"])
def make_store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    auto_closed: Callable[[StoreFactory], StoreFactory],
) -> StoreFactory:
    if request.param == "sqlite":
        return auto_closed(lambda: SqliteRecommendationStore(tmp_path / "recommendations.db"))
    client = request.getfixturevalue("dynamodb")
    return auto_closed(lambda: DynamoDBRecommendationStore(client, TABLE))


@pytest.fixture
def store(make_store: StoreFactory) -> RecommendationStore:
    store = make_store()
    store.ensure_schema()
    return store


def rec(user_id: str, context: str = "all", n: int = 3, **fields: Any) -> RecommendationList:
    values: dict[str, Any] = {
        "model_version": "ials.v1",
        "track_ids": tuple(f"{user_id}-{context}-t{i}" for i in range(n)),
        "scores": tuple(1.0 / (i + 1) for i in range(n)),
        "generated_at": 1_700_000_000.25,
    }
    values.update(fields)
    return RecommendationList(user_id=user_id, context=context, **values)


# --- round trips -----------------------------------------------------------------------


def test_unknown_keys_are_none(store: RecommendationStore) -> None:
    assert store.get_list("nobody") is None
    store.put_lists([rec("u1", "all")])

    assert store.get_list("u1", "mood:calm") is None
    assert store.get_list("u2", "all") is None


def test_list_round_trips_exactly(store: RecommendationStore) -> None:
    rng = random.Random(5)
    original = RecommendationList(
        user_id="usér-ß-1",
        context="mood:mélancolique",
        model_version="ials.v2+2024-05-01",
        track_ids=tuple(f"trk-{i}-ü" for i in range(100)),
        scores=tuple(rng.uniform(-5, 5) for _ in range(100)),
        generated_at=1_715_000_000.123456,
    )

    assert store.put_lists([original]) == 1

    got = store.get_list(original.user_id, original.context)
    assert got == original
    assert got is not None and isinstance(got.track_ids, tuple) and isinstance(got.scores, tuple)


def test_empty_list_round_trips(store: RecommendationStore) -> None:
    empty = rec("u-empty", n=0)

    store.put_lists([empty])

    assert store.get_list("u-empty") == empty


def test_default_context_is_all(store: RecommendationStore) -> None:
    store.put_lists([rec("u1", "all"), rec("u1", "genre:rock")])

    assert store.get_list("u1") == rec("u1", "all")


def test_put_replaces_the_same_user_and_context_only(store: RecommendationStore) -> None:
    store.put_lists([rec("u1", "all"), rec("u1", "mood:calm"), rec(POPULAR_USER, "all")])
    newer = rec("u1", "all", n=5, model_version="ials.v2", generated_at=1_800_000_000.0)

    assert store.put_lists([newer]) == 1

    assert store.get_list("u1", "all") == newer
    assert store.get_list("u1", "mood:calm") == rec("u1", "mood:calm")
    assert store.get_list(POPULAR_USER, "all") == rec(POPULAR_USER, "all")


def test_last_duplicate_in_one_put_wins(store: RecommendationStore) -> None:
    first = rec("u1", "all", model_version="first")
    last = rec("u1", "all", model_version="last")

    store.put_lists([first, rec("u2"), last])

    assert store.get_list("u1") == last
    assert store.get_list("u2") == rec("u2")


def test_bulk_put_from_a_generator(store: RecommendationStore) -> None:
    users = 1_000
    contexts = ("all", "mood:calm", "genre:jazz")
    consumed = 0

    def lists() -> Iterator[RecommendationList]:
        nonlocal consumed
        for i in range(users):
            for context in contexts:
                consumed += 1
                yield rec(f"user-{i}", context, n=20)

    assert store.put_lists(lists()) == users * len(contexts)

    assert consumed == users * len(contexts)
    for i in (0, 1, 499, 998, 999):
        for context in contexts:
            assert store.get_list(f"user-{i}", context) == rec(f"user-{i}", context, n=20)


def test_track_id_containing_the_stored_separator_is_refused(store: RecommendationStore) -> None:
    bad = rec("u1", track_ids=("ok", "not\x1fok", "ok2"))

    with pytest.raises(ValueError, match="U\\+001F"):
        store.put_lists([bad])

    assert store.get_list("u1") is None


def test_put_of_nothing_writes_nothing(store: RecommendationStore) -> None:
    assert store.put_lists([]) == 0
    assert store.get_list("u1") is None


def test_ensure_schema_is_idempotent_and_keeps_data(
    store: RecommendationStore, make_store: StoreFactory
) -> None:
    store.put_lists([rec("u1")])

    store.ensure_schema()
    other = make_store()
    other.ensure_schema()

    assert other.get_list("u1") == rec("u1")


def test_reopens_after_close(store: RecommendationStore) -> None:
    store.put_lists([rec("u1")])

    store.close()
    store.close()  # closing twice is harmless

    assert store.get_list("u1") == rec("u1")


def test_concurrent_reads_and_writes_from_threads(store: RecommendationStore) -> None:
    store.put_lists(rec(f"u{i}", n=10) for i in range(200))

    def write(batch: int) -> int:
        return store.put_lists(rec(f"w{batch}-{i}") for i in range(30))

    def read(worker: int) -> bool:
        rng = random.Random(worker)
        for _ in range(50):
            user = f"u{rng.randrange(200)}"
            if store.get_list(user) != rec(user, n=10):
                return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        writes = [pool.submit(write, batch) for batch in range(4)]
        reads = [pool.submit(read, worker) for worker in range(8)]
        assert [future.result() for future in reads] == [True] * 8
        assert [future.result() for future in writes] == [30] * 4

    assert store.get_list("w3-29") == rec("w3-29")


# --- unreachable backends ------------------------------------------------------------------


def _assert_every_call_unavailable(store: RecommendationStore) -> None:
    # Constructing the adapter did no I/O, so it could not fail: every call does.
    with pytest.raises(StoreUnavailable):
        store.ensure_schema()
    with pytest.raises(StoreUnavailable):
        store.put_lists([rec("u1")])
    with pytest.raises(StoreUnavailable):
        store.get_list("u1")
    with pytest.raises(StoreUnavailable):
        store.snapshot_pointer()
    with pytest.raises(StoreUnavailable):
        store.publish_snapshot("m.v1.s1")
    store.close()


def test_unusable_sqlite_file_raises_store_unavailable(unusable_sqlite_path: Path) -> None:
    _assert_every_call_unavailable(SqliteRecommendationStore(unusable_sqlite_path))


def test_unreachable_dynamodb_raises_store_unavailable(unreachable_dynamodb: Any) -> None:
    _assert_every_call_unavailable(DynamoDBRecommendationStore(unreachable_dynamodb, TABLE))


def test_dynamodb_table_that_does_not_exist_is_unavailable(dynamodb: Any) -> None:
    store = DynamoDBRecommendationStore(dynamodb, "never-created")

    with pytest.raises(StoreUnavailable):
        store.get_list("u1")
    with pytest.raises(StoreUnavailable):
        store.put_lists([rec("u1")])


# --- unreadable stored data, written behind each adapter's back ------------------------------


def test_sqlite_unreadable_list_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "recommendations.db"
    store = SqliteRecommendationStore(path)
    store.ensure_schema()
    with sqlite3.connect(path) as conn:  # 5 bytes of scores: not a whole number of doubles
        conn.execute(
            "INSERT INTO recommendations VALUES ('u1', 'all', 'v1', '\x1ft1', x'0102030405', 1.0)"
        )

    with pytest.raises(StoreUnavailable):
        store.get_list("u1")
    store.close()


def test_dynamodb_unreadable_list_is_unavailable_not_a_crash(dynamodb: Any) -> None:
    DynamoDBRecommendationStore(dynamodb, TABLE).ensure_schema()
    dynamodb.put_item(  # no scores attribute
        TableName=TABLE,
        Item={"user_id": {"S": "u1"}, "context": {"S": "all"}, "model_version": {"S": "v1"}},
    )

    with pytest.raises(StoreUnavailable):
        DynamoDBRecommendationStore(dynamodb, TABLE).get_list("u1")


# --- DynamoDB only ---------------------------------------------------------------------


def test_dynamodb_table_design(dynamodb: Any) -> None:
    store = DynamoDBRecommendationStore(dynamodb, TABLE)
    store.ensure_schema()
    before = time.time()
    store.put_lists([rec("u1", "mood:calm")])

    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
    assert keys == {"user_id": "HASH", "context": "RANGE"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")

    item = dynamodb.get_item(
        TableName=TABLE, Key={"user_id": {"S": "u1"}, "context": {"S": "mood:calm"}}
    )["Item"]
    expires = int(item["ttl"]["N"])
    assert before + DEFAULT_TTL_S - 1 <= expires <= time.time() + DEFAULT_TTL_S
    assert item["track_ids"]["S"] == "".join(f"\x1fu1-mood:calm-t{i}" for i in range(3))
    assert len(item["scores"]["B"]) == 3 * 8


def test_dynamodb_refuses_a_list_over_the_item_limit(dynamodb: Any) -> None:
    store = DynamoDBRecommendationStore(dynamodb, TABLE)
    store.ensure_schema()
    huge = rec("u-huge", n=20_000)  # ~520 KB of ids and scores

    with pytest.raises(ValueError, match="400 KB"):
        store.put_lists([huge])
    assert store.get_list("u-huge") is None

    fits = rec("u-big", n=12_000)  # ~310 KB: stored
    store.put_lists([fits])
    assert store.get_list("u-big") == fits


class _BatchSpy:
    """Passes calls to moto and records the keys of every batch. For its first ``times``
    batches it writes all but the last ``hold`` puts and hands those back as
    UnprocessedItems, as a throttled table does."""

    def __init__(self, client: Any, hold: int = 0, times: int = 0) -> None:
        self._client = client
        self._hold = hold
        self._times = times
        self.batch_calls = 0
        self.batch_keys: list[list[tuple[str, str]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> Any:  # noqa: N803
        self.batch_calls += 1
        ((table, requests),) = RequestItems.items()
        self.batch_keys.append(
            [
                (r["PutRequest"]["Item"]["user_id"]["S"], r["PutRequest"]["Item"]["context"]["S"])
                for r in requests
            ]
        )
        if self._times <= 0:
            return self._client.batch_write_item(RequestItems=RequestItems)
        self._times -= 1
        cut = max(len(requests) - self._hold, 0)
        if cut:
            self._client.batch_write_item(RequestItems={table: requests[:cut]})
        return {"UnprocessedItems": {table: requests[cut:]}}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def test_dynamodb_resends_unprocessed_items_with_backoff(
    dynamodb: Any, sleeps: list[float]
) -> None:
    DynamoDBRecommendationStore(dynamodb, TABLE).ensure_schema()
    throttled = _BatchSpy(dynamodb, hold=5, times=3)
    store = DynamoDBRecommendationStore(throttled, TABLE)

    assert store.put_lists(rec(f"u{i}") for i in range(60)) == 60

    # Chunk 1 (25): sent 20, then its last 5 held back twice more; chunks 2 and 3 go through.
    assert throttled.batch_calls == 4 + 2
    assert sleeps == [0.05, 0.1, 0.2]
    assert all(store.get_list(f"u{i}") == rec(f"u{i}") for i in range(60))


def test_dynamodb_gives_up_on_items_that_stay_unprocessed(
    dynamodb: Any, sleeps: list[float]
) -> None:
    DynamoDBRecommendationStore(dynamodb, TABLE).ensure_schema()
    throttled = _BatchSpy(dynamodb, hold=1, times=1_000)
    store = DynamoDBRecommendationStore(throttled, TABLE)

    with pytest.raises(StoreUnavailable, match="unprocessed"):
        store.put_lists(rec(f"u{i}") for i in range(3))
    assert throttled.batch_calls == len(sleeps) + 1 > 2


def test_dynamodb_batches_hold_at_most_25_distinct_keys(dynamodb: Any) -> None:
    # Real DynamoDB rejects a batch naming one key twice; moto does not, hence the spy.
    DynamoDBRecommendationStore(dynamodb, TABLE).ensure_schema()
    spy = _BatchSpy(dynamodb)
    store = DynamoDBRecommendationStore(spy, TABLE)
    lists = [rec(f"u{i % 20}", model_version=f"v{i}") for i in range(60)]

    assert store.put_lists(lists) == 60

    assert [len(keys) for keys in spy.batch_keys] == [20, 20, 10]
    assert all(len(set(keys)) == len(keys) for keys in spy.batch_keys)
    assert store.get_list("u0") == rec("u0", model_version="v40")
    assert store.get_list("u19") == rec("u19", model_version="v59")


# --- snapshots ---------------------------------------------------------------------------

S1 = "ials.v1.20260101T000000000000Z"
S2 = "ials.v1.20260102T000000000000Z"


def test_a_fresh_store_serves_the_base_snapshot(store: RecommendationStore) -> None:
    assert store.snapshot_pointer() == SnapshotPointer(BASE_SNAPSHOT)
    store.put_lists([rec("u1")])
    assert store.get_list("u1") == store.get_list("u1", snapshot=BASE_SNAPSHOT) == rec("u1")


def test_a_staged_snapshot_is_invisible_until_published(store: RecommendationStore) -> None:
    store.put_lists([rec("u1"), rec("u2")])
    staged = rec("u1", model_version="ials.v2")

    store.put_lists([staged], snapshot=S1)

    assert store.get_list("u1") == rec("u1")
    assert store.get_list("u1", snapshot=S1) == staged
    pointer = store.publish_snapshot(S1)
    assert (pointer.current, pointer.previous) == (S1, BASE_SNAPSHOT)
    assert store.snapshot_pointer().current == S1
    assert store.get_list("u1") == staged
    # Nothing of the old snapshot shows through one that lacks a list: no mixture.
    assert store.get_list("u2") is None
    assert store.get_list("u2", snapshot=BASE_SNAPSHOT) == rec("u2")


def test_put_without_a_snapshot_writes_into_the_current_one(store: RecommendationStore) -> None:
    store.put_lists([rec("u1")], snapshot=S1)
    store.publish_snapshot(S1)

    store.put_lists([rec("u3", model_version="incremental")])

    assert store.get_list("u3") == rec("u3", model_version="incremental")
    assert store.get_list("u3", snapshot=S1) == rec("u3", model_version="incremental")
    assert store.get_list("u3", snapshot=BASE_SNAPSHOT) is None


def test_rollback_swaps_current_and_previous(store: RecommendationStore) -> None:
    with pytest.raises(ValueError, match="no previous"):
        store.rollback()
    store.put_lists([rec("u1", model_version="one")], snapshot=S1)
    store.put_lists([rec("u1", model_version="two")], snapshot=S2)
    store.publish_snapshot(S1)
    store.publish_snapshot(S2)
    assert store.get_list("u1") == rec("u1", model_version="two")

    pointer = store.rollback()

    assert (pointer.current, pointer.previous) == (S1, S2)
    assert store.get_list("u1") == rec("u1", model_version="one")
    assert store.rollback().current == S2  # and forward again


def test_publishing_the_current_snapshot_again_keeps_the_previous(
    store: RecommendationStore,
) -> None:
    store.publish_snapshot(S1)
    store.publish_snapshot(S2)
    assert store.publish_snapshot(S2).previous == S1


def test_drop_snapshot_deletes_that_snapshot_only(store: RecommendationStore) -> None:
    old = "ials.v1.20251231T000000000000Z"
    store.put_lists([rec("u1"), rec(POPULAR_USER, "mood:calm")], snapshot=old)
    store.put_lists([rec("u1", model_version="s1")], snapshot=S1)
    store.put_lists([rec("u1", model_version="s2")], snapshot=S2)
    store.publish_snapshot(S1)
    store.publish_snapshot(S2)
    for kept in (S1, S2):
        with pytest.raises(ValueError, match="current or previous"):
            store.drop_snapshot(kept)

    assert store.drop_snapshot(old) == 2

    assert store.get_list("u1", snapshot=old) is None
    assert store.get_list(POPULAR_USER, "mood:calm", snapshot=old) is None
    assert store.get_list("u1", snapshot=S1) == rec("u1", model_version="s1")
    assert store.get_list("u1") == rec("u1", model_version="s2")


@pytest.mark.parametrize("bad", ["has space", "a#b", "x" * 121, "ü"])
def test_an_invalid_snapshot_id_is_refused(store: RecommendationStore, bad: str) -> None:
    with pytest.raises(ValueError, match="snapshot"):
        store.put_lists([rec("u1")], snapshot=bad)
    with pytest.raises(ValueError, match="snapshot"):
        store.publish_snapshot(bad)


def test_new_snapshot_ids_name_the_model_and_sort_by_time() -> None:
    first = new_snapshot_id("ials.v1", 1_767_225_600.25)
    later = new_snapshot_id("ials.v1", 1_767_225_600.5)
    assert first == "ials.v1.20260101T000000250000Z"
    assert first < later


def test_readers_never_see_half_a_snapshot(make_store: StoreFactory) -> None:
    writer = make_store()
    writer.ensure_schema()
    users = [f"u{i}" for i in range(60)]
    writer.put_lists([rec(u, model_version="old") for u in users], snapshot=S1)
    writer.publish_snapshot(S1)
    stop = threading.Event()

    def read(worker: int) -> list[str]:
        reader = make_store()  # another process's adapter on the same table
        rng = random.Random(worker)
        seen: list[str] = []
        while True:
            # The last read starts after the publish: one in flight then may finish after
            # it with the old list when a loaded machine makes it slower than the pause.
            published = stop.is_set()
            found = reader.get_list(rng.choice(users))
            seen.append("missing" if found is None else found.model_version)
            if published and len(seen) >= 20:
                return seen

    with ThreadPoolExecutor(max_workers=4) as pool:
        readers = [pool.submit(read, worker) for worker in range(4)]
        for start in range(0, len(users), 10):  # staged in several writes
            writer.put_lists(
                [rec(u, model_version="new") for u in users[start : start + 10]], snapshot=S2
            )
        writer.publish_snapshot(S2)
        time.sleep(0.05)
        stop.set()
        sequences = [future.result() for future in readers]

    for seen in sequences:
        assert "missing" not in seen
        # Old lists only, then new lists only: the switch happens once, for every list.
        flips = sum(1 for a, b in zip(seen, seen[1:], strict=False) if a != b)
        assert flips <= 1 and seen[0] == "old" or seen == ["new"] * len(seen)
        assert seen[-1] == "new"


# --- erasure -------------------------------------------------------------------------------


def test_forget_deletes_a_listeners_lists_in_every_snapshot(store: RecommendationStore) -> None:
    store.put_lists([rec("gone", "all"), rec("gone", "mood:calm"), rec("kept", "all")])
    store.put_lists([rec("gone", "all"), rec("gone", "genre:jazz")], snapshot="m.v2.s1")
    store.publish_snapshot("m.v2.s1")
    store.put_lists([rec("gone", "new")], snapshot="m.v3.staged")

    forgotten = store.forget("gone")

    assert sorted(forgotten) == [
        ("", "all"), ("", "mood:calm"),
        ("m.v2.s1", "all"), ("m.v2.s1", "genre:jazz"), ("m.v3.staged", "new"),
    ]  # fmt: skip
    for snapshot, context in forgotten:
        assert store.get_list("gone", context, snapshot=snapshot) is None
    assert store.get_list("kept", "all", snapshot="") is not None
    assert store.snapshot_pointer().current == "m.v2.s1"  # the pointer is no listener's
    assert store.forget("gone") == []
