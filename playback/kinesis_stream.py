"""The event stream on Amazon Kinesis Data Streams, through an injected boto3 client.

Publishing: ``PutRecords`` in chunks of 500 (the API's limit) with the user id as the
partition key, so one listener's events share a shard. Records that come back with an
``ErrorCode`` (throttling, internal failure) are put again, a bounded number of times; then
``StreamUnavailable`` says how many events were not published. Events are never dropped
silently, but a failed ``publish`` may have written part of its batch, and a retried record
lands after the later records of its chunk: consumers deduplicate by ``event_id`` and order
by ``occurred_at`` where the exact order matters (Kinesis only orders ``PutRecords`` on the
happy path).

Reading: shards are read one after the other, sorted by shard id (a child shard's id is
always above its parents', so after a reshard a listener's old events come before the new).
A position is compact JSON ``{"shardId-…": "last sequence number read"}``; a shard missing
from it is read from ``TRIM_HORIZON``, the others ``AFTER_SEQUENCE_NUMBER``. A record whose
data is not a ``PlaybackEvent`` is logged at ERROR with its position and skipped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from playback.errors import StreamUnavailable
from playback.events import PlaybackEvent, StreamRecord, parse_record

_PUT_RECORDS_LIMIT = 500  # records per PutRecords call, fixed by the API
_GET_RECORDS_LIMIT = 10_000  # records per GetRecords call, fixed by the API
# GetRecords may answer empty while data lies further on (a gap in the shard); give up on a
# shard for this read after this many empty answers in a row.
_MAX_EMPTY_READS = 5
_AWS_ERRORS = (BotoCoreError, ClientError)


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def encode_position(sequence_numbers: dict[str, str]) -> str:
    """The opaque position for the last sequence number read in each shard."""
    return json.dumps(sequence_numbers, sort_keys=True, separators=(",", ":"))


def decode_position(after: str | None) -> dict[str, str]:
    """The sequence numbers in a position; ValueError when it is not one of ours."""
    if after is None:
        return {}
    try:
        decoded = json.loads(after)
    except ValueError as exc:
        raise ValueError(f"not a position of this stream: {after!r}") from exc
    if not isinstance(decoded, dict) or not all(
        isinstance(shard, str) and isinstance(seq, str) and seq.isascii() and seq.isdigit()
        for shard, seq in decoded.items()
    ):
        raise ValueError(f"not a position of this stream: {after!r}")
    return decoded


class KinesisEventStream:
    """``EventStream`` on one Kinesis stream. The adapter owns the client: ``close`` closes it.

    ``shard_count`` is only used when ``ensure_schema`` creates the stream. ``sleep`` is
    injectable so tests of the retry and wait loops do not really wait.
    """

    def __init__(
        self,
        client: Any,
        stream_name: str,
        shard_count: int = 1,
        *,
        max_put_attempts: int = 5,
        ready_timeout_s: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if shard_count < 1:
            raise ValueError(f"shard_count must be >= 1, got {shard_count}")
        if max_put_attempts < 1:
            raise ValueError(f"max_put_attempts must be >= 1, got {max_put_attempts}")
        self._client = client
        self._stream_name = stream_name
        self._shard_count = shard_count
        self._max_put_attempts = max_put_attempts
        self._ready_timeout_s = ready_timeout_s
        self._sleep = sleep

    # -- schema ---------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        try:
            if self._status() is None:
                try:
                    self._client.create_stream(
                        StreamName=self._stream_name, ShardCount=self._shard_count
                    )
                except ClientError as exc:
                    # Someone else created it between our check and our call: fine.
                    if _error_code(exc) != "ResourceInUseException":
                        raise
            self._wait_until_active()
        except _AWS_ERRORS as exc:
            raise StreamUnavailable(
                f"cannot create Kinesis stream {self._stream_name!r}: {exc}"
            ) from exc

    def _status(self) -> str | None:
        """The stream's status (CREATING, ACTIVE, UPDATING, DELETING), None when missing."""
        try:
            summary = self._client.describe_stream_summary(StreamName=self._stream_name)
        except ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return None
            raise
        return str(summary["StreamDescriptionSummary"]["StreamStatus"])

    def _wait_until_active(self) -> None:
        waited, delay = 0.0, 0.1
        while True:
            status = self._status()
            # An UPDATING stream (resharding) still takes reads and writes.
            if status in ("ACTIVE", "UPDATING"):
                return
            if status != "CREATING":
                raise StreamUnavailable(f"Kinesis stream {self._stream_name!r} is {status}")
            if waited >= self._ready_timeout_s:
                raise StreamUnavailable(
                    f"Kinesis stream {self._stream_name!r} still CREATING after {waited:.0f} s"
                )
            self._sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)

    # -- publish --------------------------------------------------------------------------

    def publish(self, events: Sequence[PlaybackEvent]) -> None:
        entries = [
            {"Data": event.model_dump_json().encode(), "PartitionKey": event.user_id}
            for event in events
        ]
        for start in range(0, len(entries), _PUT_RECORDS_LIMIT):
            chunk = entries[start : start + _PUT_RECORDS_LIMIT]
            failed, codes = self._put_chunk(chunk)
            if failed:
                not_written = failed + len(entries) - start - len(chunk)
                raise StreamUnavailable(
                    f"{not_written} of {len(entries)} events were not published to Kinesis "
                    f"stream {self._stream_name!r}: {failed} failed {self._max_put_attempts} "
                    f"times ({', '.join(codes)}), {not_written - failed} later ones were not "
                    "tried; the others were written"
                )

    def _put_chunk(self, entries: list[dict[str, Any]]) -> tuple[int, list[str]]:
        """Put up to 500 entries, retrying failed ones; (how many still failed, error codes)."""
        pending = entries
        codes: list[str] = []
        for attempt in range(1, self._max_put_attempts + 1):
            if attempt > 1:
                self._sleep(min(0.1 * 2 ** (attempt - 2), 2.0))
            try:
                response = self._client.put_records(StreamName=self._stream_name, Records=pending)
            except _AWS_ERRORS as exc:
                raise StreamUnavailable(
                    f"cannot publish to Kinesis stream {self._stream_name!r}: {exc}"
                ) from exc
            # The answer lists one result per entry, in request order.
            results = response["Records"]
            retry = [
                entry
                for entry, result in zip(pending, results, strict=True)
                if "ErrorCode" in result
            ]
            if not retry:
                return 0, []
            codes = sorted(
                {str(result["ErrorCode"]) for result in results if "ErrorCode" in result}
            )
            pending = retry
        return len(pending), codes

    # -- read -----------------------------------------------------------------------------

    def read(self, after: str | None, limit: int = 100) -> list[StreamRecord]:
        positions = decode_position(after)
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        records: list[StreamRecord] = []
        try:
            shard_ids = self._shard_ids()
            # Forget shards that expired out of the stream so positions do not grow for ever.
            positions = {shard: seq for shard, seq in positions.items() if shard in shard_ids}
            for shard_id in shard_ids:
                if len(records) >= limit:
                    break
                self._read_shard(shard_id, positions, records, limit)
        except _AWS_ERRORS as exc:
            raise StreamUnavailable(
                f"cannot read Kinesis stream {self._stream_name!r}: {exc}"
            ) from exc
        return records

    def _shard_ids(self) -> list[str]:
        shard_ids: list[str] = []
        request: dict[str, Any] = {"StreamName": self._stream_name}
        while True:
            page = self._client.list_shards(**request)
            shard_ids.extend(str(shard["ShardId"]) for shard in page["Shards"])
            token = page.get("NextToken")
            if not token:
                return sorted(shard_ids)
            # ListShards refuses StreamName together with NextToken.
            request = {"NextToken": token}

    def _read_shard(
        self,
        shard_id: str,
        positions: dict[str, str],
        records: list[StreamRecord],
        limit: int,
    ) -> None:
        """Append the shard's events after ``positions[shard_id]`` to ``records``, up to
        ``limit`` in all, advancing ``positions`` past every record read (parsed or not)."""
        start: dict[str, str] = {"ShardIteratorType": "TRIM_HORIZON"}
        if shard_id in positions:
            start = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "StartingSequenceNumber": positions[shard_id],
            }
        iterator: str | None = self._client.get_shard_iterator(
            StreamName=self._stream_name, ShardId=shard_id, **start
        )["ShardIterator"]
        empty_reads = 0
        while iterator is not None and len(records) < limit:
            response = self._client.get_records(
                ShardIterator=iterator, Limit=min(limit - len(records), _GET_RECORDS_LIMIT)
            )
            for raw in response["Records"]:
                positions[shard_id] = str(raw["SequenceNumber"])
                position = encode_position(positions)
                event = parse_record(raw["Data"], position)
                if event is not None:
                    records.append(StreamRecord(position=position, event=event))
            # No next iterator: a closed shard (after a reshard) has been read to its end.
            iterator = response.get("NextShardIterator")
            if response["Records"]:
                empty_reads = 0
                continue
            empty_reads += 1
            if response.get("MillisBehindLatest", 0) == 0 or empty_reads >= _MAX_EMPTY_READS:
                return

    def close(self) -> None:
        try:
            self._client.close()
        except _AWS_ERRORS as exc:
            raise StreamUnavailable(f"closing the Kinesis client failed: {exc}") from exc
