"""The listen archive: live plays kept as partitions of the personalization team's listen
feed, so the offline ETL reads them beside the team's own files and training learns from
them.

A partition is one applied page of the event stream, named by the stream's shard and the
position of the page's first record (``shard=<shard>/<position>.csv``): a page read again
after a crash or a Lambda retry starts at the same record and overwrites its partition
instead of adding a second copy. The format is the team's own (``LISTEN_COLUMNS``, the ETL's
``raw_feeds.EVENT_COLUMNS``: a header, then one play per line, times in epoch ms), plain
CSV rather than gzip so that a listener's rows can be rewritten away (``forget``).

Rewriting every partition takes time that grows with the archive, so an erasure asked for
within a request (SkillDisabled, ``DELETE /v1/users/me``) is recorded instead
(``request_forget``: one small marker under ``erasures/``, which neither the ETL nor
``plays`` reads) and carried out by the next offline run before its ETL reads the archive
(``forget_requested``, called by ``philomath.offline``).

    ListenArchive adapters: ``LocalListenArchive`` (a directory: under the raw feeds, where
    the ETL reads it), ``S3ListenArchive`` (the feeds bucket; ``pipeline ingest`` copies it
    into the raw directory). Every method may raise ``ArchiveUnavailable``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Protocol

from recommender.errors import ArchiveUnavailable

# The personalization team's listen-feed header (the ETL checks every file starts with it).
LISTEN_COLUMNS = ("event_id", "user_id", "track_id", "ts_ms", "ms_played", "end_reason", "device")
# Where the partitions live below the raw feeds directory (outside the generator's folders,
# which a regeneration replaces).
LIVE_LISTENS_DIR = "live/listens"
_SAFE = re.compile(r"[A-Za-z0-9_.\-]{1,120}")
ERASURES_DIR = "erasures"


@dataclass(frozen=True, slots=True)
class ListenRow:
    """One play in the listen feed's terms."""

    event_id: str
    user_id: str
    track_id: str
    ts_ms: int
    ms_played: int
    end_reason: str  # finished, skipped or stopped
    device: str


def _safe(part: str) -> str:
    """``part`` as a file-name component: itself when it is tame, else a digest of it (a
    Kinesis position is JSON); either way the same text gives the same name."""
    if _SAFE.fullmatch(part) and part not in (".", ".."):
        return part
    return "h" + hashlib.sha256(part.encode()).hexdigest()[:32]


def partition_key(shard: str, first_position: str) -> str:
    """``shard=<shard>/<first position>.csv``, relative to the archive's root."""
    return f"shard={_safe(shard)}/{_safe(first_position)}.csv"


def erasure_key(user_id: str) -> str:
    """The marker of a requested erasure, relative to the archive's root."""
    return f"{ERASURES_DIR}/{hashlib.sha256(user_id.encode()).hexdigest()}.id"


def encode_rows(rows: Sequence[ListenRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(LISTEN_COLUMNS)
    writer.writerows(astuple(row) for row in rows)
    return out.getvalue().encode()


def decode_rows(body: bytes, where: str) -> list[ListenRow]:
    """The rows of a partition; ``ArchiveUnavailable`` naming ``where`` when it is not one."""
    try:
        reader = csv.reader(io.StringIO(body.decode()))
        header = tuple(next(reader, ()))
        if header != LISTEN_COLUMNS:
            raise ValueError(f"header {header} is not {LISTEN_COLUMNS}")
        return [
            ListenRow(e, u, t, int(ts), int(ms), reason, device)
            for e, u, t, ts, ms, reason, device in reader
        ]
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArchiveUnavailable(f"{where} is not a listen partition: {exc}") from exc


class ListenArchive(Protocol):
    """Live plays as listen-feed partitions; see the module docstring."""

    def write_page(self, shard: str, first_position: str, rows: Sequence[ListenRow]) -> str:
        """Write (or overwrite) the partition of the page that starts at ``first_position``
        of ``shard``, atomically: a reader sees the old file or the new, never a part.
        Returns its key. Nothing is written for a page without plays."""

    def plays(self) -> dict[str, int]:
        """Plays per partition key, for deciding when enough new ones arrived."""

    def forget(self, user_id: str) -> int:
        """Drop a listener's rows from every partition (rewriting the files that hold them,
        removing those left empty); how many rows went."""

    def request_forget(self, user_id: str) -> int:
        """Record that the listener's rows must go (one small write, fit for a request);
        ``forget_requested`` drops them. Returns 1."""

    def forget_requested(self) -> tuple[str, ...]:
        """Carry out every recorded erasure in one pass over the partitions, then remove
        the records; the listeners forgotten."""

    def close(self) -> None:
        """Release connections."""
