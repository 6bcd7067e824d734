"""The feedback consumer's Lambda entry on Kinesis event-source batches built from what moto's
Kinesis stores: applied once, ``batchItemFailures`` for exactly the records not applied, and
no table created by a deployed (``PHILOMATH_ENSURE_SCHEMA=false``) cold start."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import boto3
import pytest

from philomath.consumer_handler import apply_batch, create_handler, from_environment
from playback.events import PlaybackEvent
from playback.kinesis_stream import KinesisEventStream
from recommender.errors import ProfileStoreUnavailable
from recommender.feedback.consumer import FeedbackConsumer
from recommender.storage.dynamodb_profiles import DynamoDBProfileStore
from recommender.storage.listen_archive import decode_rows
from recommender.storage.local_listen_archive import LocalListenArchive
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.profiles import ProfileUpdate
from tests.fakes import World

STREAM = "philomath-test-events"
TABLE = "philomath-test-profiles"


def kinesis_event(events: Sequence[PlaybackEvent], *, garbage: bool = False) -> dict[str, Any]:
    """Publish ``events`` to moto's Kinesis with the production adapter, read them back, and
    shape them as Lambda's Kinesis event source hands them to a function."""
    client = boto3.client("kinesis", region_name="us-east-1")
    stream = KinesisEventStream(client, STREAM)
    stream.ensure_schema()
    stream.publish(events)
    if garbage:
        client.put_record(StreamName=STREAM, Data=b"not an event", PartitionKey="x")
    (shard,) = client.list_shards(StreamName=STREAM)["Shards"]
    iterator = client.get_shard_iterator(
        StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    raw = client.get_records(ShardIterator=iterator)["Records"]
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode(),
                    "approximateArrivalTimestamp": record[
                        "ApproximateArrivalTimestamp"
                    ].timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventID": f"{shard['ShardId']}:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "awsRegion": "us-east-1",
            }
            for record in raw
        ]
    }


class FailingFor(DynamoDBProfileStore):
    """The DynamoDB profile store, failing to apply one listener's events."""

    def __init__(self, client: Any, table: str, user_id: str) -> None:
        super().__init__(client, table)
        self.failing_user = user_id

    def apply_events(
        self, user_id: str, event_ids: Sequence[str], update: ProfileUpdate
    ) -> list[str]:
        if user_id == self.failing_user:
            raise ProfileStoreUnavailable("throttled (test)")
        return super().apply_events(user_id, event_ids, update)


def played(user_id: str, track_id: str, n: int) -> list[PlaybackEvent]:
    return [
        PlaybackEvent(event_id=f"{user_id}-{i}", kind="started", user_id=user_id, track_id=track_id)
        for i in range(n)
    ]


@pytest.fixture
def profiles(aws_env: None) -> DynamoDBProfileStore:
    store = DynamoDBProfileStore(boto3.client("dynamodb", region_name="us-east-1"), TABLE)
    store.ensure_schema()
    return store


def consumer(world: World, profiles: DynamoDBProfileStore) -> FeedbackConsumer:
    return FeedbackConsumer(world.events, profiles, world.catalog, InProcessCache())


def play_count(profiles: DynamoDBProfileStore, user_id: str) -> int:
    profile = profiles.get(user_id)
    return 0 if profile is None else profile.play_count


def test_a_batch_is_applied_once_even_when_redelivered(
    world: World, profiles: DynamoDBProfileStore
) -> None:
    event = kinesis_event(played("u-1", "t-jazz-1", 3) + played("u-2", "t-pop-1", 2))
    assert apply_batch(consumer(world, profiles), event) == {"batchItemFailures": []}
    assert (play_count(profiles, "u-1"), play_count(profiles, "u-2")) == (3, 2)
    # Lambda redelivers a batch after a timeout: nothing counts twice.
    assert apply_batch(consumer(world, profiles), event) == {"batchItemFailures": []}
    assert (play_count(profiles, "u-1"), play_count(profiles, "u-2")) == (3, 2)


def test_records_of_a_listener_that_failed_are_reported_the_others_applied(
    world: World, profiles: DynamoDBProfileStore
) -> None:
    failing = FailingFor(boto3.client("dynamodb", region_name="us-east-1"), TABLE, "u-2")
    event = kinesis_event(played("u-1", "t-jazz-1", 2) + played("u-2", "t-pop-1", 2))
    answer = apply_batch(
        FeedbackConsumer(world.events, failing, world.catalog, InProcessCache()), event
    )
    u2_sequences = [
        r["kinesis"]["sequenceNumber"]
        for r in event["Records"]
        if r["kinesis"]["partitionKey"] == "u-2"
    ]
    assert answer == {"batchItemFailures": [{"itemIdentifier": s} for s in u2_sequences]}
    assert (play_count(profiles, "u-1"), play_count(profiles, "u-2")) == (2, 0)
    # Lambda's retry (from the lowest failed record, u-1's included) applies the rest once.
    assert apply_batch(consumer(world, profiles), event) == {"batchItemFailures": []}
    assert (play_count(profiles, "u-1"), play_count(profiles, "u-2")) == (2, 2)


def test_a_catalog_outage_fails_the_whole_batch(
    world: World, profiles: DynamoDBProfileStore
) -> None:
    event = kinesis_event(played("u-1", "t-jazz-1", 2))
    world.catalog.down = True
    answer = apply_batch(consumer(world, profiles), event)
    assert answer == {
        "batchItemFailures": [
            {"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in event["Records"]
        ]
    }
    assert play_count(profiles, "u-1") == 0


def test_a_record_that_is_not_an_event_is_skipped_not_retried(
    world: World, profiles: DynamoDBProfileStore
) -> None:
    event = kinesis_event(played("u-1", "t-jazz-1", 1), garbage=True)
    assert len(event["Records"]) == 2
    assert apply_batch(consumer(world, profiles), event) == {"batchItemFailures": []}
    assert play_count(profiles, "u-1") == 1


def test_a_deployed_cold_start_creates_no_table(
    aws_env: None, world: World, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As in the template: the tables are the stack's, the function may not create them.
    monkeypatch.setenv("PHILOMATH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PHILOMATH_PROFILES_URL", f"dynamodb://{TABLE}")
    monkeypatch.setenv("PHILOMATH_EVENTS_URL", f"kinesis://{STREAM}")
    monkeypatch.setenv("PHILOMATH_ENSURE_SCHEMA", "false")
    monkeypatch.setenv("PHILOMATH_LOG_LEVEL", "WARNING")
    handler = create_handler(from_environment)
    event = kinesis_event(played("u-1", "t-jazz-1", 1))
    answer = handler(event, None)
    assert boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"] == []
    # Without its table the listener's records are not applied: reported for a retry.
    assert answer == {
        "batchItemFailures": [
            {"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in event["Records"]
        ]
    }


# -- archiving the batch's plays -------------------------------------------------------------


def finished(user_id: str, track_id: str, n: int) -> list[PlaybackEvent]:
    return [
        PlaybackEvent(
            event_id=f"{user_id}-f{i}", kind="finished", user_id=user_id, track_id=track_id,
            offset_ms=170_000,
        )
        for i in range(n)
    ]  # fmt: skip


def test_a_batch_s_plays_are_archived_by_shard_and_first_sequence_number_once(
    world: World, profiles: DynamoDBProfileStore, tmp_path: Any
) -> None:
    archive = LocalListenArchive(tmp_path / "live")
    event = kinesis_event(finished("u-1", "t-jazz-1", 2) + played("u-2", "t-pop-1", 1))
    applying = FeedbackConsumer(
        world.events, profiles, world.catalog, InProcessCache(), archive=archive
    )
    assert apply_batch(applying, event) == {"batchItemFailures": []}
    assert apply_batch(applying, event) == {"batchItemFailures": []}  # redelivered
    first = event["Records"][0]
    shard = first["eventID"].split(":")[0]
    key = f"shard={shard}/{first['kinesis']['sequenceNumber']}.csv"
    assert archive.plays() == {key: 2}  # the two finished plays; a start is no play


def test_plays_after_a_failed_record_are_archived_by_the_retry_not_twice(
    world: World, profiles: DynamoDBProfileStore, tmp_path: Any
) -> None:
    archive = LocalListenArchive(tmp_path / "live")
    failing = FailingFor(boto3.client("dynamodb", region_name="us-east-1"), TABLE, "u-2")
    event = kinesis_event(
        finished("u-1", "t-jazz-1", 1) + finished("u-2", "t-pop-1", 1)
        + finished("u-1", "t-jazz-1", 3)[2:]
    )  # fmt: skip
    answer = apply_batch(
        FeedbackConsumer(world.events, failing, world.catalog, InProcessCache(), archive=archive),
        event,
    )
    (failed,) = answer["batchItemFailures"]
    assert archive.plays() == {next(iter(archive.plays())): 1}  # only u-1's first play
    # Lambda retries from the failed record on: those plays go into the retry's partition.
    retry = {"Records": [r for r in event["Records"] if r["kinesis"]["sequenceNumber"]
                         >= failed["itemIdentifier"]]}  # fmt: skip
    ok = FeedbackConsumer(world.events, profiles, world.catalog, InProcessCache(), archive=archive)
    assert apply_batch(ok, retry) == {"batchItemFailures": []}
    assert sorted(archive.plays().values()) == [1, 2]
    rows = [r.event_id for key in archive.plays() for r in _rows(tmp_path / "live" / key)]
    assert sorted(rows) == ["u-1-f0", "u-1-f2", "u-2-f0"]


def test_an_archive_that_cannot_be_written_fails_the_whole_batch(
    world: World, profiles: DynamoDBProfileStore, tmp_path: Any
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    event = kinesis_event(finished("u-1", "t-jazz-1", 2))
    consumer = FeedbackConsumer(
        world.events, profiles, world.catalog, InProcessCache(),
        archive=LocalListenArchive(blocker),
    )  # fmt: skip
    answer = apply_batch(consumer, event)
    assert answer == {
        "batchItemFailures": [
            {"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in event["Records"]
        ]
    }


def _rows(path: Any) -> list[Any]:
    return decode_rows(path.read_bytes(), str(path))
