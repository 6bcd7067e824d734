"""``LocalListenArchive``: listen partitions as files in a directory (the embedded default,
under the raw feeds where the ETL reads them). Each file is written beside its final name
and renamed over it, so a crash leaves the old partition or the new one."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from recommender.errors import ArchiveUnavailable
from recommender.storage.listen_archive import (
    ERASURES_DIR,
    ListenRow,
    decode_rows,
    encode_rows,
    erasure_key,
    partition_key,
)


class LocalListenArchive:
    def __init__(self, root: Path) -> None:
        self._root = root

    def write_page(self, shard: str, first_position: str, rows: Sequence[ListenRow]) -> str:
        key = partition_key(shard, first_position)
        if rows:
            self._write(self._root / key, encode_rows(rows))
        return key

    def plays(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        try:
            for path in sorted(self._root.glob("shard=*/*.csv")):
                with path.open("rb") as handle:
                    counts[path.relative_to(self._root).as_posix()] = max(
                        0, sum(1 for _ in handle) - 1
                    )
        except OSError as exc:
            raise ArchiveUnavailable(f"cannot read the listen archive {self._root}") from exc
        return counts

    def forget(self, user_id: str) -> int:
        return self._forget({user_id})

    def request_forget(self, user_id: str) -> int:
        self._write(self._root / erasure_key(user_id), user_id.encode())
        return 1

    def forget_requested(self) -> tuple[str, ...]:
        try:
            markers = sorted((self._root / ERASURES_DIR).glob("*.id"))
            user_ids = {marker.read_text() for marker in markers}
        except OSError as exc:
            raise ArchiveUnavailable(f"cannot read the erasures of {self._root}") from exc
        if not user_ids:
            return ()
        self._forget(user_ids)
        for marker in markers:
            marker.unlink(missing_ok=True)
        return tuple(sorted(user_ids))

    def _forget(self, user_ids: set[str]) -> int:
        dropped = 0
        try:
            for path in sorted(self._root.glob("shard=*/*.csv")):
                rows = decode_rows(path.read_bytes(), str(path))
                kept = [row for row in rows if row.user_id not in user_ids]
                if len(kept) == len(rows):
                    continue
                dropped += len(rows) - len(kept)
                if kept:
                    self._write(path, encode_rows(kept))
                else:
                    path.unlink()
        except OSError as exc:
            raise ArchiveUnavailable(f"cannot rewrite the listen archive {self._root}") from exc
        return dropped

    def close(self) -> None:
        pass

    @staticmethod
    def _write(path: Path, body: bytes) -> None:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise ArchiveUnavailable(f"cannot write the listen partition {path}") from exc
