"""One suite for every ``ListenArchive`` adapter (a local directory, S3 on moto): a page's
plays in the listen feed's own format, the same page twice is one partition, a listener
forgotten everywhere (at once, or recorded and carried out later), failures raised as
``ArchiveUnavailable``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from recommender.data.etl.raw_feeds import EVENT_COLUMNS
from recommender.errors import ArchiveUnavailable
from recommender.storage.listen_archive import ListenArchive, ListenRow, decode_rows, partition_key
from recommender.storage.local_listen_archive import LocalListenArchive
from recommender.storage.s3_listen_archive import S3ListenArchive

BUCKET = "philomath-test-feeds"
PREFIX = "feeds/live/listens"


def row(event_id: str, user_id: str = "usr-1", reason: str = "finished") -> ListenRow:
    return ListenRow(event_id, user_id, "TRK00000001", 1_765_000_000_000, 180_000, reason, "alexa")


class Archive:
    """An adapter and a way to read back what it stored, by partition key."""

    def __init__(
        self, archive: ListenArchive, read: Callable[[str], bytes], keys: Callable[[], list[str]]
    ):
        self.archive, self.read, self.keys = archive, read, keys


def _local(tmp_path: Path) -> Archive:
    root = tmp_path / "live"
    return Archive(
        LocalListenArchive(root),
        lambda key: (root / key).read_bytes(),
        lambda: sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()),
    )


def _s3(aws_env: None) -> Archive:
    import boto3

    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)

    def keys() -> list[str]:
        found = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return sorted(entry["Key"].removeprefix(PREFIX + "/") for entry in found)

    return Archive(
        S3ListenArchive(client, BUCKET, PREFIX),
        lambda key: client.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}")["Body"].read(),
        keys,
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Archive]:
    local = request.param == "local"
    made = _local(tmp_path) if local else _s3(request.getfixturevalue("aws_env"))
    yield made
    made.archive.close()


def test_a_page_is_one_partition_in_the_listen_feed_format(store: Archive) -> None:
    key = store.archive.write_page("0", "41", [row("e-1"), row("e-2", reason="skipped")])
    assert key == "shard=0/41.csv" and store.keys() == [key]
    body = store.read(key).decode()
    header, first, second = body.splitlines()
    assert tuple(header.split(",")) == EVENT_COLUMNS
    assert first == "e-1,usr-1,TRK00000001,1765000000000,180000,finished,alexa"
    assert decode_rows(store.read(key), key) == [row("e-1"), row("e-2", reason="skipped")]
    assert store.archive.plays() == {key: 2}


def test_the_same_page_twice_is_one_partition_and_a_longer_replay_replaces_it(
    store: Archive,
) -> None:
    store.archive.write_page("0", "41", [row("e-1")])
    store.archive.write_page("0", "41", [row("e-1")])
    store.archive.write_page("0", "41", [row("e-1"), row("e-2")])  # more had arrived since
    store.archive.write_page("0", "43", [row("e-3")])
    assert store.keys() == ["shard=0/41.csv", "shard=0/43.csv"]
    assert store.archive.plays() == {"shard=0/41.csv": 2, "shard=0/43.csv": 1}


def test_a_page_without_plays_writes_nothing(store: Archive) -> None:
    assert store.archive.write_page("0", "7", []) == "shard=0/7.csv"
    assert store.keys() == [] and store.archive.plays() == {}


def test_shards_and_positions_that_are_not_file_names_are_named_by_a_digest(
    store: Archive,
) -> None:
    position = '{"shardId-000000000000": "4959"}'  # a Kinesis adapter position
    key = store.archive.write_page("shardId-000000000000", position, [row("e-1")])
    assert key == partition_key("shardId-000000000000", position)
    assert key.startswith("shard=shardId-000000000000/h") and "{" not in key
    sneaky = partition_key("../x", "..")  # never a path out of the archive
    assert sneaky.count("/") == 1 and ".." not in sneaky


def test_forget_drops_one_listener_s_rows_everywhere(store: Archive) -> None:
    store.archive.write_page("0", "1", [row("e-1", "usr-1"), row("e-2", "usr-2")])
    store.archive.write_page("0", "3", [row("e-3", "usr-1")])
    store.archive.write_page("0", "4", [row("e-4", "usr-2")])
    assert store.archive.forget("usr-1") == 2
    assert store.keys() == ["shard=0/1.csv", "shard=0/4.csv"]  # the empty one is gone
    assert [r.user_id for r in decode_rows(store.read("shard=0/1.csv"), "")] == ["usr-2"]
    assert store.archive.plays() == {"shard=0/1.csv": 1, "shard=0/4.csv": 1}
    assert store.archive.forget("usr-1") == 0


def test_a_requested_erasure_is_recorded_then_carried_out_in_one_pass(store: Archive) -> None:
    store.archive.write_page("0", "1", [row("e-1", "usr-1"), row("e-2", "usr-2")])
    store.archive.write_page("0", "3", [row("e-3", "usr-3")])
    assert store.archive.request_forget("usr-1") == 1
    assert store.archive.request_forget("usr-3") == 1
    assert store.archive.request_forget("usr-3") == 1  # asked twice: one record
    # Recorded only: the rows stay, and the records are neither partitions nor plays.
    assert store.archive.plays() == {"shard=0/1.csv": 2, "shard=0/3.csv": 1}
    assert store.archive.forget_requested() == ("usr-1", "usr-3")
    assert store.keys() == ["shard=0/1.csv"]  # the records went with the rows
    assert [r.user_id for r in decode_rows(store.read("shard=0/1.csv"), "")] == ["usr-2"]
    assert store.archive.forget_requested() == ()


def test_an_unwritable_local_archive_raises_archive_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the archive's directory should be")
    with pytest.raises(ArchiveUnavailable):
        LocalListenArchive(blocker).write_page("0", "1", [row("e-1")])
    assert list(tmp_path.iterdir()) == [blocker]  # no temporary file left behind


def test_a_missing_bucket_raises_archive_unavailable(aws_env: None) -> None:
    import boto3

    archive = S3ListenArchive(boto3.client("s3", region_name="us-east-1"), "no-such-bucket")
    with pytest.raises(ArchiveUnavailable):
        archive.write_page("0", "1", [row("e-1")])
    with pytest.raises(ArchiveUnavailable):
        archive.plays()
    with pytest.raises(ArchiveUnavailable):
        archive.forget("usr-1")


def test_a_partition_that_is_not_the_feed_s_format_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "shard=0" / "1.csv"
    bad.parent.mkdir()
    bad.write_text("who,what\n1,2\n")
    with pytest.raises(ArchiveUnavailable, match="not a listen partition"):
        LocalListenArchive(tmp_path).forget("usr-1")
