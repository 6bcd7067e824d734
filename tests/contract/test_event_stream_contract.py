"""The ``EventStream`` contract, run against every adapter; adapter-specific checks at the end.

Adapters: ``SqliteEventStream`` on a file under tmp_path, ``KinesisEventStream`` on moto with
one and with two shards, ``RedisEventStream`` on the real Redis. Each comes with
``open_stream`` (a new adapter on the same backing stream, to check durability across close
and reopen), ``inject_raw`` (append bytes that are not a valid event, bypassing the adapter)
and ``broken_stream`` (an adapter whose backend cannot be used).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis

from playback.errors import StreamUnavailable
from playback.events import EventStream, PlaybackEvent, StreamRecord
from playback.kinesis_stream import KinesisEventStream
from playback.redis_stream import RedisEventStream
from playback.sqlite_stream import SqliteEventStream
from tests.fakes import AtomicCalls

STREAM_NAME = "philomath-events-test"

StreamFactory = Callable[[], EventStream]


@dataclass
class Harness:
    open_stream: StreamFactory
    inject_raw: Callable[[bytes, str], None]  # (data, partition user id)
    broken_stream: StreamFactory


def _kinesis_client() -> Any:
    return boto3.client("kinesis", region_name="us-east-1")


@pytest.fixture(params=["sqlite", "kinesis-1-shard", "kinesis-2-shards", "redis"])
def harness(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    auto_closed: Callable[[StreamFactory], StreamFactory],
) -> Harness:
    if request.param == "sqlite":
        path = tmp_path / "events.db"

        def inject_sqlite(data: bytes, user_id: str) -> None:
            with sqlite3.connect(path) as conn:
                # Bytes are stored as a BLOB: the worst a foreign writer could leave there.
                conn.execute("INSERT INTO playback_events (body) VALUES (?)", (data,))
            conn.close()

        def broken_sqlite() -> EventStream:
            directory = tmp_path / "a-directory"
            directory.mkdir(exist_ok=True)
            return SqliteEventStream(directory)

        return Harness(
            open_stream=auto_closed(lambda: SqliteEventStream(path)),
            inject_raw=inject_sqlite,
            broken_stream=auto_closed(broken_sqlite),
        )
    if request.param == "redis":
        return _redis_harness(request.getfixturevalue("redis_url"), auto_closed)
    request.getfixturevalue("aws_env")
    shards = 1 if request.param == "kinesis-1-shard" else 2

    def inject_kinesis(data: bytes, user_id: str) -> None:
        _kinesis_client().put_record(StreamName=STREAM_NAME, Data=data, PartitionKey=user_id)

    return Harness(
        open_stream=auto_closed(
            lambda: KinesisEventStream(AtomicCalls(_kinesis_client()), STREAM_NAME, shards)
        ),
        inject_raw=inject_kinesis,
        broken_stream=auto_closed(lambda: KinesisEventStream(_kinesis_client(), "no-such-stream")),
    )


def _redis_harness(url: str, auto_closed: Callable[[StreamFactory], StreamFactory]) -> Harness:
    key = "philomath:test-events"

    def inject_redis(data: bytes, user_id: str) -> None:
        client = redis.Redis.from_url(url)
        client.xadd(key, {b"body": data})
        client.close()

    def broken_redis() -> EventStream:
        # Port 1: nothing listens there, the connection is refused at once.
        client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
        return RedisEventStream(client, key)

    return Harness(
        open_stream=auto_closed(lambda: RedisEventStream(redis.Redis.from_url(url), key)),
        inject_raw=inject_redis,
        broken_stream=auto_closed(broken_redis),
    )


@pytest.fixture
def stream(harness: Harness) -> EventStream:
    opened = harness.open_stream()
    opened.ensure_schema()
    return opened


_T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
_KINDS = ("started", "finished", "skipped", "liked", "stopped")


def make_events(count: int, users: int = 7, prefix: str = "") -> list[PlaybackEvent]:
    """Events of several users interleaved, each with a distinct id and offset."""
    return [
        PlaybackEvent(
            event_id=f"{prefix}e{i:05d}",
            kind=_KINDS[i % len(_KINDS)],  # type: ignore[arg-type]
            user_id=f"user-{i % users}",
            track_id=f"track-{i}",
            device_id=None if i % 3 else f"device-{i % users}",
            offset_ms=i * 1000,
            occurred_at=_T0 + timedelta(seconds=i),
            source="app" if i % 2 else "alexa",
        )
        for i in range(count)
    ]


def read_all(stream: EventStream, limit: int, after: str | None = None) -> list[StreamRecord]:
    """Every record after ``after``, page by page, checking each page's size."""
    records: list[StreamRecord] = []
    for _ in range(10_000):
        page = stream.read(after, limit=limit)
        assert len(page) <= limit
        if not page:
            return records
        records.extend(page)
        after = page[-1].position
    raise AssertionError("the stream never ran out of records")


def by_user(events: Sequence[PlaybackEvent]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for event in events:
        grouped[event.user_id].append(event.event_id)
    return dict(grouped)


def assert_same_events_in_user_order(
    records: Sequence[StreamRecord], published: Sequence[PlaybackEvent]
) -> None:
    read_ids = [record.event.event_id for record in records]
    assert len(read_ids) == len(set(read_ids)), "an event was read more than once"
    assert sorted(read_ids) == sorted(event.event_id for event in published)
    assert by_user([record.event for record in records]) == by_user(published)
    # Every field survives the round trip, datetimes included.
    originals = {event.event_id: event for event in published}
    for record in records:
        assert record.event == originals[record.event.event_id]


# -- the contract -------------------------------------------------------------------------


def test_an_empty_stream_reads_nothing(stream: EventStream) -> None:
    assert stream.read(None) == []
    assert stream.read(None, limit=1) == []


def test_publishing_nothing_is_a_no_op(stream: EventStream) -> None:
    stream.publish([])
    assert stream.read(None) == []


def test_ensure_schema_is_idempotent_and_keeps_events(stream: EventStream) -> None:
    stream.ensure_schema()
    events = make_events(5)
    stream.publish(events)
    stream.ensure_schema()
    assert_same_events_in_user_order(stream.read(None), events)


def test_publish_then_read_everything_in_order_per_user(stream: EventStream) -> None:
    events = make_events(40)
    stream.publish(events[:15])
    stream.publish(events[15:])
    records = stream.read(None, limit=1000)
    assert_same_events_in_user_order(records, events)
    assert all(isinstance(record.position, str) and record.position for record in records)
    assert len({record.position for record in records}) == len(records)


def test_a_single_event_round_trips(stream: EventStream) -> None:
    event = PlaybackEvent(kind="liked", user_id="ü-user ✓", track_id="t1", device_id="d1")
    stream.publish([event])
    [record] = stream.read(None)
    assert record.event == event


@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_paging_returns_every_event_exactly_once(stream: EventStream, limit: int) -> None:
    events = make_events(25)
    stream.publish(events)
    records = read_all(stream, limit=limit)
    assert_same_events_in_user_order(records, events)


def test_the_default_limit_is_100(stream: EventStream) -> None:
    stream.publish(make_events(130))
    assert len(stream.read(None)) == 100


def test_reading_after_any_position_continues_right_after_it(stream: EventStream) -> None:
    stream.publish(make_events(12))
    everything = stream.read(None, limit=100)
    for index, record in enumerate(everything):
        assert stream.read(record.position, limit=100) == everything[index + 1 :]


def test_reading_after_the_last_position_then_new_events(stream: EventStream) -> None:
    first = make_events(6, prefix="a")
    stream.publish(first)
    records = read_all(stream, limit=4)
    last = records[-1].position
    assert stream.read(last) == []
    second = make_events(6, prefix="b")
    stream.publish(second)
    assert_same_events_in_user_order(read_all(stream, limit=4, after=last), second)


def test_reading_does_not_consume(stream: EventStream) -> None:
    events = make_events(5)
    stream.publish(events)
    assert stream.read(None) == stream.read(None)
    assert_same_events_in_user_order(stream.read(None), events)


def test_events_survive_closing_and_reopening(harness: Harness, stream: EventStream) -> None:
    events = make_events(20)
    stream.publish(events)
    head = stream.read(None, limit=8)
    stream.close()
    reopened = harness.open_stream()
    reopened.ensure_schema()
    assert_same_events_in_user_order(reopened.read(None, limit=100), events)
    # A position handed out before the close still continues right after it.
    rest = read_all(reopened, limit=5, after=head[-1].position)
    assert_same_events_in_user_order(head + rest, events)


def test_a_batch_of_1200_events_crosses_the_put_records_chunk(stream: EventStream) -> None:
    events = make_events(1200, users=13)
    stream.publish(events)
    assert_same_events_in_user_order(read_all(stream, limit=500), events)


def test_concurrent_publishers(stream: EventStream) -> None:
    batches = [make_events(30, users=3, prefix=f"w{n}-") for n in range(4)]
    # Each writer has its own users so per-user order is defined by that writer alone.
    batches = [
        [event.model_copy(update={"user_id": f"w{n}-{event.user_id}"}) for event in batch]
        for n, batch in enumerate(batches)
    ]
    errors: list[BaseException] = []

    def publish(batch: list[PlaybackEvent]) -> None:
        try:
            for start in range(0, len(batch), 5):
                stream.publish(batch[start : start + 5])
        except BaseException as exc:  # collected and re-raised by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_same_events_in_user_order(
        read_all(stream, limit=50), [event for batch in batches for event in batch]
    )


@pytest.mark.parametrize("position", ["", "garbage", "-1", "1.5", "[]", "{", "²"])
def test_an_invalid_position_is_a_value_error(stream: EventStream, position: str) -> None:
    with pytest.raises(ValueError):
        stream.read(position)


def test_a_limit_below_one_is_a_value_error(stream: EventStream) -> None:
    with pytest.raises(ValueError, match="limit"):
        stream.read(None, limit=0)


def test_a_record_that_does_not_parse_is_logged_and_skipped(
    harness: Harness, stream: EventStream, caplog: pytest.LogCaptureFixture
) -> None:
    before, after = make_events(2, users=1)
    stream.publish([before])
    harness.inject_raw(b'{"kind": "exploded", "user_id": "user-0"}', "user-0")
    harness.inject_raw(b"\xff not json at all", "user-0")
    stream.publish([after])
    with caplog.at_level(logging.ERROR):
        assert [record.event for record in stream.read(None)] == [before, after]
    errors = [log for log in caplog.records if log.levelno == logging.ERROR]
    assert len(errors) == 2
    # The logged position is the bad record's own: reading after it skips past it.
    positions = [getattr(log, "position") for log in errors]  # noqa: B009
    assert [record.event for record in stream.read(positions[0])] == [after]
    assert [record.event for record in stream.read(positions[1])] == [after]
    # The user id in the bad record is not logged.
    assert all("user-0" not in log.getMessage() for log in errors)


def test_a_bad_record_does_not_end_a_page_early(harness: Harness, stream: EventStream) -> None:
    first, second, third = make_events(3, users=1)
    stream.publish([first])
    for _ in range(3):
        harness.inject_raw(b"{}", "user-0")
    stream.publish([second, third])
    # The page is filled past the bad records instead of stopping at them.
    page = stream.read(None, limit=2)
    assert [record.event for record in page] == [first, second]
    assert [record.event for record in stream.read(page[-1].position, limit=2)] == [third]


def test_an_unusable_backend_raises_stream_unavailable(harness: Harness) -> None:
    broken = harness.broken_stream()
    calls: list[Callable[[], object]] = [
        lambda: broken.publish(make_events(1)),
        lambda: broken.read(None),
    ]
    for call in calls:
        with pytest.raises(StreamUnavailable) as caught:
            call()
        assert caught.value.__cause__ is not None  # the vendor error is chained


def test_constructing_an_adapter_does_no_io(harness: Harness) -> None:
    # The broken backends fail on first use; building the adapter must not touch them.
    harness.broken_stream()


# -- SqliteEventStream --------------------------------------------------------------------


def test_sqlite_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not an SQLite database, just some text. " * 100)
    stream = SqliteEventStream(path)
    for call in (stream.ensure_schema, lambda: stream.read(None)):
        with pytest.raises(StreamUnavailable) as caught:
            call()
        assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_sqlite_a_directory_is_unavailable_for_ensure_schema(tmp_path: Path) -> None:
    with pytest.raises(StreamUnavailable):
        SqliteEventStream(tmp_path).ensure_schema()


def test_sqlite_constructor_creates_no_file(tmp_path: Path) -> None:
    SqliteEventStream(tmp_path / "lazy.db")
    assert not (tmp_path / "lazy.db").exists()


def test_sqlite_uses_wal_and_positions_are_row_ids(tmp_path: Path) -> None:
    stream = SqliteEventStream(str(tmp_path / "events.db"))
    stream.ensure_schema()
    stream.publish(make_events(3))
    assert [record.position for record in stream.read(None)] == ["1", "2", "3"]
    stream.close()
    with sqlite3.connect(tmp_path / "events.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_sqlite_commits_with_synchronous_full(tmp_path: Path) -> None:
    # NORMAL, the other SQLite adapters' setting, may lose the last commits on power loss.
    stream = SqliteEventStream(tmp_path / "events.db")
    # The setting belongs to each connection, not to the file: ask the adapter's own.
    with stream._db.reading("test") as conn:
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    stream.close()


def test_sqlite_positions_are_not_reused_after_rows_are_deleted(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    stream = SqliteEventStream(path)
    stream.ensure_schema()
    stream.publish(make_events(3, prefix="a"))
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM playback_events")
    conn.close()
    stream.publish(make_events(1, prefix="b"))
    [record] = stream.read("3")
    assert record.position == "4"


def test_sqlite_publish_is_all_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    stream = SqliteEventStream(path)
    stream.ensure_schema()
    with sqlite3.connect(path) as conn:
        # A trigger that fails the third insert of any batch.
        conn.execute(
            "CREATE TRIGGER third_fails BEFORE INSERT ON playback_events "
            "WHEN (SELECT count(*) FROM playback_events) >= 2 "
            "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
    conn.close()
    with pytest.raises(StreamUnavailable, match="disk on fire"):
        stream.publish(make_events(3))
    assert stream.read(None) == []
    stream.publish(make_events(2))  # the connection is still usable
    assert len(stream.read(None)) == 2


def test_sqlite_durable_across_adapters_in_other_threads(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    writer = SqliteEventStream(path)
    writer.ensure_schema()
    events = make_events(10)
    thread = threading.Thread(target=writer.publish, args=(events,))
    thread.start()
    thread.join()
    reader = SqliteEventStream(path)
    assert_same_events_in_user_order(reader.read(None), events)
    writer.close()
    reader.close()


# -- KinesisEventStream -------------------------------------------------------------------


class PutRecordsSpy:
    """Wraps a Kinesis client: records every PutRecords batch size, and can fail records.

    ``fail`` decides per (call number, index in the batch) whether that record comes back
    with an ErrorCode instead of being written.
    """

    def __init__(self, client: Any, fail: Callable[[int, int], bool] = lambda c, i: False):
        self._client = client
        self._fail = fail
        self.batch_sizes: list[int] = []

    def put_records(self, *, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        call = len(self.batch_sizes)
        self.batch_sizes.append(len(Records))
        failed = {i for i in range(len(Records)) if self._fail(call, i)}
        written = [record for i, record in enumerate(Records) if i not in failed]
        answers = iter(
            self._client.put_records(StreamName=StreamName, Records=written)["Records"]
            if written
            else []
        )
        results = [
            {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"}
            if i in failed
            else next(answers)
            for i in range(len(Records))
        ]
        return {"FailedRecordCount": len(failed), "Records": results}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def kinesis(aws_env: None) -> Iterator[Any]:
    client = _kinesis_client()
    KinesisEventStream(client, STREAM_NAME, shard_count=2).ensure_schema()
    yield client
    client.close()


def test_kinesis_publishes_in_chunks_of_500(kinesis: Any) -> None:
    spy = PutRecordsSpy(kinesis)
    stream = KinesisEventStream(spy, STREAM_NAME)
    stream.publish(make_events(1200))
    assert spy.batch_sizes == [500, 500, 200]


def test_kinesis_retries_records_that_come_back_with_an_error(kinesis: Any) -> None:
    # The first two answers fail every third record; later ones succeed.
    spy = PutRecordsSpy(kinesis, fail=lambda call, i: call < 2 and i % 3 == 0)
    stream = KinesisEventStream(spy, STREAM_NAME, sleep=_no_sleep)
    events = make_events(30)
    stream.publish(events)
    assert spy.batch_sizes == [30, 10, 4]
    records = read_all(stream, limit=100)
    assert sorted(record.event.event_id for record in records) == sorted(
        event.event_id for event in events
    )


def test_kinesis_gives_up_after_bounded_retries_and_says_how_many(kinesis: Any) -> None:
    # Two records of the first chunk never succeed; the second chunk is never tried.
    spy = PutRecordsSpy(kinesis, fail=lambda call, i: i in (0, 1) and call < 100)
    stream = KinesisEventStream(spy, STREAM_NAME, max_put_attempts=4, sleep=_no_sleep)
    with pytest.raises(StreamUnavailable, match=r"^204 of 702 events were not published") as err:
        stream.publish(make_events(702))
    assert "2 failed 4 times" in str(err.value)
    assert "202 later ones were not tried" in str(err.value)
    assert "ProvisionedThroughputExceededException" in str(err.value)
    assert spy.batch_sizes == [500, 2, 2, 2]
    assert len(read_all(stream, limit=500)) == 498  # the rest of the first chunk was written


def test_kinesis_two_shards_are_both_used_and_positions_name_them(kinesis: Any) -> None:
    stream = KinesisEventStream(kinesis, STREAM_NAME)
    stream.publish(make_events(40, users=10))
    records = read_all(stream, limit=100)
    last = json.loads(records[-1].position)
    assert sorted(last) == ["shardId-000000000000", "shardId-000000000001"]
    assert len({record.position for record in records}) == 40


def test_kinesis_ensure_schema_creates_the_stream_with_the_shard_count(aws_env: None) -> None:
    client = _kinesis_client()
    stream = KinesisEventStream(client, "fresh-stream", shard_count=3)
    stream.ensure_schema()
    stream.ensure_schema()
    assert len(client.list_shards(StreamName="fresh-stream")["Shards"]) == 3


class SlowlyCreatedStream:
    """A client whose stream reports CREATING a few times before ACTIVE."""

    def __init__(self, creating_answers: int) -> None:
        self.statuses = ["CREATING"] * creating_answers + ["ACTIVE"]
        self.created = False

    def describe_stream_summary(self, StreamName: str) -> dict[str, Any]:  # noqa: N803
        if not self.created:
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "none"}},
                "DescribeStreamSummary",
            )
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {"StreamDescriptionSummary": {"StreamStatus": status}}

    def create_stream(self, StreamName: str, ShardCount: int) -> None:  # noqa: N803
        self.created = True


def test_kinesis_ensure_schema_waits_until_active() -> None:
    client = SlowlyCreatedStream(creating_answers=3)
    slept: list[float] = []
    KinesisEventStream(client, "s", sleep=slept.append).ensure_schema()
    assert client.created
    assert len(slept) == 3


def test_kinesis_ensure_schema_gives_up_when_never_active() -> None:
    client = SlowlyCreatedStream(creating_answers=10_000)
    stream = KinesisEventStream(client, "s", ready_timeout_s=1.0, sleep=_no_sleep)
    with pytest.raises(StreamUnavailable, match="CREATING"):
        stream.ensure_schema()


def test_kinesis_missing_stream_is_unavailable_for_every_call(aws_env: None) -> None:
    stream = KinesisEventStream(_kinesis_client(), "no-such-stream")
    for call in (lambda: stream.publish(make_events(1)), lambda: stream.read(None)):
        with pytest.raises(StreamUnavailable, match="no-such-stream"):
            call()


@pytest.mark.parametrize(
    "position", ['{"shardId-000000000000": 5}', '{"shardId-000000000000": "abc"}', '"x"']
)
def test_kinesis_invalid_positions(kinesis: Any, position: str) -> None:
    with pytest.raises(ValueError):
        KinesisEventStream(kinesis, STREAM_NAME).read(position)


class ReshardedKinesis:
    """A stream resharded from one shard into one child: the parent is closed, and
    ListShards answers in two pages, child first. moto keeps writing to a parent after a
    reshard, so this ordering can only be checked against a fake."""

    PARENT, CHILD = "shardId-000000000000", "shardId-000000000001"

    def __init__(self, parent: list[PlaybackEvent], child: list[PlaybackEvent]) -> None:
        self.data = {
            self.PARENT: [e.model_dump_json().encode() for e in parent],
            self.CHILD: [e.model_dump_json().encode() for e in child],
        }

    def list_shards(self, **request: str) -> dict[str, Any]:
        if "NextToken" in request:
            assert "StreamName" not in request  # the API refuses both together
            return {"Shards": [{"ShardId": self.PARENT}]}
        return {"Shards": [{"ShardId": self.CHILD, "ParentShardId": self.PARENT}], "NextToken": "t"}

    def get_shard_iterator(
        self,
        StreamName: str,  # noqa: N803
        ShardId: str,  # noqa: N803
        ShardIteratorType: str,  # noqa: N803
        StartingSequenceNumber: str = "",  # noqa: N803
    ) -> dict[str, str]:
        # Sequence numbers are 1-based indexes into the shard's data.
        start = 0 if ShardIteratorType == "TRIM_HORIZON" else int(StartingSequenceNumber)
        assert ShardIteratorType in ("TRIM_HORIZON", "AFTER_SEQUENCE_NUMBER")
        return {"ShardIterator": f"{ShardId}|{start}"}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:  # noqa: N803
        shard, start_text = ShardIterator.split("|")
        start, data = int(start_text), self.data[shard]
        end = min(start + Limit, len(data))
        records = [
            {"SequenceNumber": str(index + 1), "Data": data[index], "PartitionKey": "user-0"}
            for index in range(start, end)
        ]
        closed_and_done = shard == self.PARENT and end == len(data)
        answer: dict[str, Any] = {"Records": records, "MillisBehindLatest": 0}
        if not closed_and_done:
            answer["NextShardIterator"] = f"{shard}|{end}"
        return answer


@pytest.mark.parametrize("limit", [1, 2, 100])
def test_kinesis_reads_a_parent_shard_before_its_child(limit: int) -> None:
    events = make_events(5, users=1)
    stream = KinesisEventStream(ReshardedKinesis(events[:3], events[3:]), "s")
    assert [record.event for record in read_all(stream, limit=limit)] == events


# -- RedisEventStream ---------------------------------------------------------------------


def test_redis_positions_are_entry_ids_and_a_batch_is_one_transaction(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    stream = RedisEventStream(client, "philomath:tx")
    stream.publish(make_events(3))
    records = stream.read(None)
    entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange("philomath:tx")  # type: ignore[assignment]
    assert [r.position for r in records] == [entry_id.decode() for entry_id, _ in entries]
    assert stream.read(records[-1].position) == []
    stream.close()


def test_redis_maxlen_trims_old_entries(redis_url: str) -> None:
    stream = RedisEventStream(redis.Redis.from_url(redis_url), "philomath:trim", maxlen=10)
    for start in range(0, 300, 50):
        stream.publish(make_events(50, prefix=f"b{start}-"))
    kept = read_all(stream, limit=100)
    # Approximate trimming keeps at least maxlen, far fewer than were published.
    assert 10 <= len(kept) < 300
    assert kept[-1].event.event_id == "b250-e00049"
    stream.close()


def test_redis_refuses_a_maxlen_below_one() -> None:
    with pytest.raises(ValueError, match="maxlen"):
        RedisEventStream(redis.Redis(host="127.0.0.1", port=1), maxlen=0)
