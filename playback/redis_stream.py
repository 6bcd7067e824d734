"""The event stream on Redis Streams, through an injected redis client.

Each event is one stream entry with a single field ``body`` (the event's JSON). A publish is
one ``MULTI``/``EXEC`` of ``XADD``s, so a batch is appended whole or not at all, in order.
A position is the entry id Redis assigned (``<ms>-<seq>``); ``read`` asks ``XRANGE`` for
entries after it (the exclusive ``(`` bound, Redis 6.2 and later). An entry whose body is not
a ``PlaybackEvent`` is logged at ERROR with its position and skipped, and reading goes on so
a bad entry never shortens a page.

Durability is Redis's: with ``appendonly yes`` and ``appendfsync everysec`` (ElastiCache's
default for Multi-AZ) at most a second of events can be lost on a crash. ``maxlen`` trims the
stream approximately (``MAXLEN ~``) so it does not grow for ever; trimmed entries are gone,
so set it well above what a stopped consumer may fall behind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import redis

from playback.errors import StreamUnavailable
from playback.events import PlaybackEvent, StreamRecord, parse_record

_POSITION = re.compile(r"[0-9]+-[0-9]+")
_FIELD = b"body"


def check_position(after: str | None) -> str:
    """The entry id after which to read ('0-0' for the start); ValueError for anything else."""
    if after is None:
        return "0-0"
    if not (after.isascii() and _POSITION.fullmatch(after)):
        raise ValueError(f"not a position of this stream: {after!r}")
    return after


class RedisEventStream:
    """``EventStream`` on one Redis stream key. The adapter owns the client: ``close``
    closes it. Constructing it does no I/O."""

    def __init__(
        self, client: redis.Redis, key: str = "philomath:events", *, maxlen: int | None = None
    ) -> None:
        if maxlen is not None and maxlen < 1:
            raise ValueError(f"maxlen must be >= 1, got {maxlen}")
        self._client = client
        self._key = key
        self._maxlen = maxlen

    def ensure_schema(self) -> None:
        # A stream comes into being with its first XADD; check that Redis answers.
        try:
            self._client.ping()
        except redis.RedisError as exc:
            raise StreamUnavailable(f"Redis is not reachable: {exc}") from exc

    def publish(self, events: Sequence[PlaybackEvent]) -> None:
        if not events:
            return
        try:
            with self._client.pipeline(transaction=True) as pipe:
                for event in events:
                    pipe.xadd(
                        self._key,
                        {_FIELD: event.model_dump_json().encode()},
                        maxlen=self._maxlen,
                        approximate=True,
                    )
                pipe.execute()
        except redis.RedisError as exc:
            raise StreamUnavailable(
                f"cannot publish {len(events)} events to Redis stream {self._key!r}: {exc}"
            ) from exc

    def read(self, after: str | None, limit: int = 100) -> list[StreamRecord]:
        last = check_position(after)
        if limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        records: list[StreamRecord] = []
        while len(records) < limit:
            try:
                entries = self._client.xrange(
                    self._key, min=f"({last}", max="+", count=limit - len(records)
                )
            except redis.RedisError as exc:
                raise StreamUnavailable(f"cannot read Redis stream {self._key!r}: {exc}") from exc
            if not entries:
                break
            for raw_id, fields in entries:
                last = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
                # A client built with decode_responses=True hands back str field names.
                fields = fields or {}
                body = fields.get(_FIELD, fields.get(_FIELD.decode(), b""))
                event = parse_record(body, last)
                if event is not None:
                    records.append(StreamRecord(position=last, event=event))
        return records

    def close(self) -> None:
        try:
            self._client.close()
        except redis.RedisError as exc:
            raise StreamUnavailable(f"closing the Redis client failed: {exc}") from exc
