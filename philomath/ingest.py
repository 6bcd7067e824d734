"""Ingest: the teams' feeds from the feeds bucket (``s3://bucket/prefix``) into ``raw_dir``,
where the pipeline's ETL reads them; the first state of the Step Functions pipeline."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit


def ingest_feeds(client: Any, url: str, raw_dir: Path) -> int:
    """Copy every object under ``url`` to the same relative path in ``raw_dir``; objects
    whose local copy already has their size are skipped (feed files are write-once, dated
    partitions). Returns how many files were copied."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("expected s3://bucket/prefix")
    bucket, prefix = parts.netloc, parts.path.lstrip("/")
    copied = 0
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = client.list_objects_v2(**request)
        for entry in page.get("Contents", []):
            relative = PurePosixPath(entry["Key"]).relative_to(prefix or ".")
            target = raw_dir / relative
            if ".." in relative.parts or entry["Key"].endswith("/"):
                continue  # a folder marker, or a key that would leave raw_dir
            if target.exists() and target.stat().st_size == entry["Size"]:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            body = client.get_object(Bucket=bucket, Key=entry["Key"])["Body"]
            tmp = target.with_name(f".{target.name}.part")
            with tmp.open("wb") as out:
                for chunk in body.iter_chunks(1 << 20):
                    out.write(chunk)
            tmp.replace(target)
            copied += 1
        if not page.get("IsTruncated"):
            return copied
        request["ContinuationToken"] = page["NextContinuationToken"]
