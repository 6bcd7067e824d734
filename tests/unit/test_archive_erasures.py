"""Erasures recorded in the listen archive within a request are carried out by the next
offline run before its ETL reads the archive: in an S3 archive and in the copy of it that
``pipeline ingest`` put under the raw feeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3

from philomath.ingest import ingest_feeds
from philomath.offline import apply_requested_erasures
from philomath.settings import Settings
from recommender.storage.listen_archive import LIVE_LISTENS_DIR, ListenRow
from recommender.storage.local_listen_archive import LocalListenArchive
from recommender.storage.s3_listen_archive import S3ListenArchive

BUCKET, PREFIX = "feeds", "feeds/live/listens"


def row(event_id: str, user_id: str) -> ListenRow:
    return ListenRow(event_id, user_id, "TRK00000001", 1_765_000_000_000, 9_000, "skipped", "app")


def users_in(directory: Path) -> set[str]:
    return {
        line.split(",")[1]
        for path in directory.glob("shard=*/*.csv")
        for line in path.read_text().splitlines()[1:]
    }


def test_the_offline_run_forgets_in_the_s3_archive_and_in_its_ingested_copy(
    aws_env: None, tmp_path: Path
) -> None:
    client: Any = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    archive = S3ListenArchive(client, BUCKET, PREFIX)
    archive.write_page("0", "1", [row("e-1", "lsn-gone"), row("e-2", "lsn-stays")])
    settings = Settings(data_dir=tmp_path, listen_archive_url=f"s3://{BUCKET}/{PREFIX}")
    local = settings.raw_dir / LIVE_LISTENS_DIR
    ingest_feeds(client, f"s3://{BUCKET}/{PREFIX}", local)  # the copy the ETL reads
    assert users_in(local) == {"lsn-gone", "lsn-stays"}

    archive.request_forget("lsn-gone")  # SkillDisabled, in the skill's request
    assert apply_requested_erasures(settings, archive) == ("lsn-gone",)

    assert users_in(local) == {"lsn-stays"}
    body = client.get_object(Bucket=BUCKET, Key=f"{PREFIX}/shard=0/1.csv")["Body"].read()
    assert b"lsn-gone" not in body and b"lsn-stays" in body
    assert apply_requested_erasures(settings, archive) == ()  # the records went too


def test_records_that_ingest_copied_are_carried_out_on_the_local_copy(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    local = LocalListenArchive(settings.raw_dir / LIVE_LISTENS_DIR)
    local.write_page("0", "1", [row("e-1", "lsn-gone"), row("e-2", "lsn-stays")])
    local.request_forget("lsn-gone")
    assert apply_requested_erasures(settings, None) == ("lsn-gone",)
    assert users_in(settings.raw_dir / LIVE_LISTENS_DIR) == {"lsn-stays"}
