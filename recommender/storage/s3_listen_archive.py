"""``S3ListenArchive``: listen partitions as objects under ``s3://bucket/prefix`` (the feeds
bucket, where ``philomath pipeline ingest`` copies them into the raw directory). A PUT is
atomic, so a replayed page simply replaces its object; each object's row count is kept in
its metadata so counting plays reads no bodies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from recommender.errors import ArchiveUnavailable
from recommender.storage.listen_archive import (
    ERASURES_DIR,
    ListenRow,
    decode_rows,
    encode_rows,
    erasure_key,
    partition_key,
)

_ROWS = "rows"  # object metadata: how many plays the partition holds


class S3ListenArchive:
    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def write_page(self, shard: str, first_position: str, rows: Sequence[ListenRow]) -> str:
        key = partition_key(shard, first_position)
        if rows:
            self._put(key, rows)
        return key

    def plays(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        try:
            for key in self._keys():
                head = self._client.head_object(Bucket=self._bucket, Key=self._prefix + key)
                counts[key] = int(head.get("Metadata", {}).get(_ROWS, "0"))
        except (BotoCoreError, ClientError, ValueError) as exc:
            raise ArchiveUnavailable(f"cannot list s3://{self._bucket}/{self._prefix}") from exc
        return counts

    def forget(self, user_id: str) -> int:
        return self._forget({user_id})

    def request_forget(self, user_id: str) -> int:
        key = self._prefix + erasure_key(user_id)
        try:
            self._client.put_object(Bucket=self._bucket, Key=key, Body=user_id.encode())
        except (BotoCoreError, ClientError) as exc:
            raise ArchiveUnavailable(f"cannot write s3://{self._bucket}/{key}") from exc
        return 1

    def forget_requested(self) -> tuple[str, ...]:
        try:
            markers = self._keys(f"{ERASURES_DIR}/", ".id")
            user_ids = {
                self._client.get_object(Bucket=self._bucket, Key=self._prefix + key)["Body"]
                .read()
                .decode()
                for key in markers
            }
        except (BotoCoreError, ClientError) as exc:
            raise ArchiveUnavailable(f"cannot read s3://{self._bucket}/{self._prefix}") from exc
        if not user_ids:
            return ()
        self._forget(user_ids)
        try:
            for key in markers:
                self._client.delete_object(Bucket=self._bucket, Key=self._prefix + key)
        except (BotoCoreError, ClientError) as exc:
            raise ArchiveUnavailable(f"cannot delete s3://{self._bucket}/{self._prefix}") from exc
        return tuple(sorted(user_ids))

    def _forget(self, user_ids: set[str]) -> int:
        dropped = 0
        try:
            for key in self._keys():
                name = self._prefix + key
                body = self._client.get_object(Bucket=self._bucket, Key=name)["Body"].read()
                rows = decode_rows(body, f"s3://{self._bucket}/{name}")
                kept = [row for row in rows if row.user_id not in user_ids]
                if len(kept) == len(rows):
                    continue
                dropped += len(rows) - len(kept)
                if kept:
                    self._put(key, kept)
                else:
                    self._client.delete_object(Bucket=self._bucket, Key=name)
        except (BotoCoreError, ClientError) as exc:
            raise ArchiveUnavailable(f"cannot rewrite s3://{self._bucket}/{self._prefix}") from exc
        return dropped

    def close(self) -> None:
        pass

    def _put(self, key: str, rows: Sequence[ListenRow]) -> None:
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=self._prefix + key,
                Body=encode_rows(rows),
                ContentType="text/csv",
                Metadata={_ROWS: str(len(rows))},
            )
        except (BotoCoreError, ClientError) as exc:
            raise ArchiveUnavailable(
                f"cannot write s3://{self._bucket}/{self._prefix}{key}"
            ) from exc

    def _keys(self, below: str = "shard=", suffix: str = ".csv") -> list[str]:
        """Keys relative to the prefix, starting with ``below`` and ending with ``suffix``
        (partitions, ``shard=*/*.csv``, by default), in order."""
        keys: list[str] = []
        request: dict[str, Any] = {"Bucket": self._bucket, "Prefix": self._prefix + below}
        while True:
            page = self._client.list_objects_v2(**request)
            keys += [
                entry["Key"][len(self._prefix) :]
                for entry in page.get("Contents", [])
                if entry["Key"].endswith(suffix)
            ]
            if not page.get("IsTruncated"):
                return sorted(keys)
            request["ContinuationToken"] = page["NextContinuationToken"]
