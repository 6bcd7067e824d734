"""Per-device play queues: the domain, pure moves on it, its JSON form, and the store port.

Alexa's AudioPlayer keeps one stream and at most one enqueued stream per device; everything
else about "what plays next" is ours. A ``DeviceQueue`` is the playlist a request started
(recommendation order), the play order over it (shuffled or not), the play under the token the
device is streaming, the one enqueued behind it for gapless playback, and where the listener
stopped. Every move is a pure function returning a new queue; ``listening.device_queue`` loads
a queue, moves it, and saves it back with an optimistic version check, so two requests for one
device (Alexa retries PlaybackNearlyFinished) cannot both enqueue.

    QueueStore adapters: ``MemoryQueueStore`` (tests, one process), ``SqliteQueueStore``
    (embedded default), ``RedisQueueStore``, ``DynamoDBQueueStore``. Every method may raise
    ``QueueUnavailable``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from playback.errors import QueueUnavailable
from playback.events import Served

# Queues of listeners who stopped listening expire; a month keeps "resume" useful.
DEFAULT_TTL_S = 30 * 24 * 3600.0
MAX_TRACKS = 200  # past this a refill drops what has played
MAX_FAILURES = 3  # consecutive PlaybackFailed before the queue stops skipping ahead


OWNER_CHARS = 16  # a queue key starts with this many hex characters of its listener's hash


def owner_prefix(user_id: str) -> str:
    """What every queue key of ``user_id`` starts with, so that erasing a listener finds
    their queues on every device without keeping the device ids."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:OWNER_CHARS]


def queue_key(user_id: str, device_id: str | None) -> str:
    """The store key of a listener's queue on a device: hashes, so keys carry no ids; the
    listener's part first (``owner_prefix``), 40 hex characters in all."""
    device = hashlib.sha256(f"{user_id}\x00{device_id or ''}".encode()).hexdigest()
    return owner_prefix(user_id) + device[: 40 - OWNER_CHARS]


@dataclass(frozen=True, slots=True)
class Play:
    """One play of a track, under the token Alexa reports it by; ``position`` indexes the
    queue's play order."""

    token: str
    track_id: str
    position: int


class Attribution(NamedTuple):
    """What served one track of a queue: the list it came from (``impression``, kept at
    position 0 and shared by every track of that list) and the track's ``position`` in it.
    A ``Served`` is made only for the track asked about: a queue holds up to ``MAX_TRACKS``
    tracks and a turn reads one or two of them. A named tuple: a queue is read and made
    with one for each of its tracks every turn, at a third of a frozen dataclass's cost."""

    impression: Served
    position: int

    @classmethod
    def tracks_of(cls, served: Served, offsets: Sequence[int]) -> tuple[Attribution, ...]:
        """The attributions of tracks at ``offsets`` past ``served``'s position in its list."""
        impression = served.at(0)
        return tuple(cls(impression, served.position + offset) for offset in offsets)

    def served(self) -> Served:
        return self.impression.at(self.position)


@dataclass(frozen=True, slots=True)
class DeviceQueue:
    key: str
    tracks: tuple[str, ...]
    order: tuple[int, ...]
    current: Play | None = None
    offset_ms: int = 0  # where the current play stopped (PlaybackStopped), for resume
    enqueued: Play | None = None  # queued behind ``current`` by PlaybackNearlyFinished
    request: tuple[tuple[str, str], ...] = ()  # slot values the playlist was made for
    loop: bool = False
    shuffle: bool = False
    failures: int = 0
    version: int = 0  # the store's counter; 0 for a queue never saved
    # What served each track of ``tracks`` (same index); () when nothing is known.
    served: tuple[Attribution | None, ...] = ()

    def track_at(self, position: int) -> str:
        return self.tracks[self.order[position]]

    def served_at(self, position: int) -> Served | None:
        """What served the track at ``position`` of the play order, if known."""
        index = self.order[position]
        attribution = self.served[index] if index < len(self.served) else None
        return attribution.served() if attribution is not None else None


def _served_list(
    tracks: Sequence[str], served: Served | None
) -> tuple[tuple[str, ...], tuple[Attribution | None, ...]]:
    """``tracks`` without duplicates, each with what served it: ``served`` is the first
    track's, and a track's position in the list is the first one's plus its index."""
    first: dict[str, int] = {}
    for index, track in enumerate(tracks):
        first.setdefault(track, index)
    unique = tuple(first)
    if served is None:
        return unique, (None,) * len(unique)
    return unique, Attribution.tracks_of(served, [first[t] for t in unique])


def new_queue(
    key: str,
    tracks: Sequence[str],
    token: str,
    request: Sequence[tuple[str, str]] = (),
    served: Served | None = None,
) -> DeviceQueue:
    """A queue playing ``tracks[0]`` under ``token``, the rest (duplicates dropped) after it;
    ``served`` is what served ``tracks[0]``, the others following it in the same list."""
    unique, attributions = _served_list(tracks, served)
    unique, attributions = unique[:MAX_TRACKS], attributions[:MAX_TRACKS]
    if not unique:
        raise ValueError("a queue needs at least one track")
    return DeviceQueue(
        key=key,
        tracks=unique,
        order=tuple(range(len(unique))),
        current=Play(token, unique[0], 0),
        request=tuple(request),
        served=attributions,
    )


def served_for(queue: DeviceQueue | None, token: str | None) -> Served | None:
    """What served the play ``token`` names, when it is the queue's current or enqueued one."""
    if queue is None or token is None:
        return None
    for play in (queue.current, queue.enqueued):
        if play is not None and play.token == token and play.position < len(queue.order):
            return queue.served_at(play.position)
    return None


class QueueSettings(NamedTuple):
    """What a new queue keeps of the one it replaces: the store version (for the optimistic
    check) and the listener's loop and shuffle settings."""

    version: int
    loop: bool
    shuffle: bool


def settings_of(queue: DeviceQueue) -> QueueSettings:
    return QueueSettings(queue.version, queue.loop, queue.shuffle)


def renewed(old: QueueSettings, fresh: DeviceQueue) -> DeviceQueue:
    """``fresh`` in place of the queue ``old`` describes: settings and version carry over."""
    return replace(fresh, loop=old.loop, shuffle=old.shuffle, version=old.version)


def next_position(queue: DeviceQueue, after: Play | None = None) -> int | None:
    """The position that plays after ``after`` (default: the current play); with loop on,
    the first one again after the last; None at the end."""
    start = after if after is not None else queue.current
    position = (start.position if start is not None else -1) + 1
    if position < len(queue.order):
        return position
    return 0 if queue.loop and queue.order else None


def previous_position(queue: DeviceQueue) -> int | None:
    if queue.current is None or queue.current.position == 0:
        return None
    return queue.current.position - 1


def playing(queue: DeviceQueue, position: int, token: str) -> DeviceQueue:
    """The device now streams ``position`` under ``token`` (REPLACE_ALL): nothing enqueued."""
    play = Play(token, queue.track_at(position), position)
    return replace(queue, current=play, enqueued=None, offset_ms=0)


def enqueued(queue: DeviceQueue, position: int, token: str) -> DeviceQueue:
    """``position`` was enqueued behind the current play under ``token``."""
    return replace(queue, enqueued=Play(token, queue.track_at(position), position))


def promoted(queue: DeviceQueue, token: str) -> DeviceQueue:
    """The device moved on to the enqueued play ``token`` names (if it does)."""
    if queue.enqueued is not None and queue.enqueued.token == token:
        return replace(queue, current=queue.enqueued, enqueued=None, offset_ms=0)
    return queue


def started(queue: DeviceQueue, token: str) -> DeviceQueue:
    """PlaybackStarted: an enqueued play becomes the current one; a stream that starts
    ends a run of failures."""
    queue = promoted(queue, token)
    if queue.current is not None and queue.current.token == token:
        return replace(queue, failures=0)
    return queue


def stopped(queue: DeviceQueue, token: str, offset_ms: int) -> DeviceQueue:
    """PlaybackStopped: keep the offset of the current play for resume."""
    if queue.current is None or queue.current.token != token:
        return queue
    return replace(queue, offset_ms=max(0, offset_ms))


def failed(queue: DeviceQueue) -> DeviceQueue:
    return replace(queue, failures=queue.failures + 1)


def played(queue: DeviceQueue) -> frozenset[str]:
    """Tracks played so far or lined up to play next (not to be recommended again)."""
    last = max((p.position for p in (queue.current, queue.enqueued) if p is not None), default=-1)
    return frozenset(queue.track_at(i) for i in range(last + 1))


def with_tracks(
    queue: DeviceQueue, tracks: Sequence[str], served: Served | None = None
) -> DeviceQueue:
    """More tracks appended to the playlist (a refill; ``served`` served its first track);
    ones already in it are skipped. A playlist that would pass ``MAX_TRACKS`` first forgets
    what played before the current play, so positions shift down by the current play's old
    position."""
    unique, attributions = _served_list(tracks, served)
    known = set(queue.tracks)
    new = [(t, a) for t, a in zip(unique, attributions, strict=True) if t not in known]
    if len(queue.tracks) + len(new) > MAX_TRACKS:
        queue = _compacted(queue)
    known = set(queue.tracks)
    new = [(t, a) for t, a in new if t not in known][: MAX_TRACKS - len(queue.tracks)]
    first = len(queue.tracks)
    return replace(
        queue,
        tracks=queue.tracks + tuple(t for t, _ in new),
        order=queue.order + tuple(range(first, first + len(new))),
        served=_padded(queue) + tuple(a for _, a in new),
    )


def _padded(queue: DeviceQueue) -> tuple[Attribution | None, ...]:
    """``queue.served`` with one entry per track."""
    return (queue.served + (None,) * len(queue.tracks))[: len(queue.tracks)]


def _compacted(queue: DeviceQueue) -> DeviceQueue:
    start = queue.current.position if queue.current is not None else 0

    def moved(play: Play | None) -> Play | None:
        return replace(play, position=play.position - start) if play is not None else None

    kept = queue.order[start:]
    served = _padded(queue)
    return replace(
        queue,
        tracks=tuple(queue.tracks[i] for i in kept),
        served=tuple(served[i] for i in kept),
        order=tuple(range(len(kept))),
        current=moved(queue.current),
        enqueued=moved(queue.enqueued),
    )


def with_shuffle(queue: DeviceQueue, on: bool, rng: random.Random) -> DeviceQueue:
    """Shuffle on: what has not been lined up yet plays in random order; off: back in
    playlist order. What plays now and what is enqueued never change."""
    fixed = 1 + max(
        (p.position for p in (queue.current, queue.enqueued) if p is not None), default=-1
    )
    rest = list(queue.order[fixed:])
    if on:
        rng.shuffle(rest)
    else:
        rest.sort()
    return replace(queue, order=queue.order[:fixed] + tuple(rest), shuffle=on)


def with_loop(queue: DeviceQueue, on: bool) -> DeviceQueue:
    return replace(queue, loop=on)


# -- persisted form -------------------------------------------------------------------------


class _PlayRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    token: str
    track_id: str
    position: int = Field(ge=0)


class _SettingsRecord(BaseModel):
    """The settings of a stored queue record, the rest of it left unread."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    loop: bool = False
    shuffle: bool = False


class QueueRecord(BaseModel):
    """A queue as stored (the key and version live beside it in the store). Version 2 adds
    what served each track: ``impressions`` once each (at position 0), and per track its
    ``[impression index, position]`` or null."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1, 2] = 2
    tracks: list[str]
    order: list[int]
    current: _PlayRecord | None = None
    offset_ms: int = Field(default=0, ge=0)
    enqueued: _PlayRecord | None = None
    request: list[tuple[str, str]] = Field(default_factory=list)
    loop: bool = False
    shuffle: bool = False
    failures: int = Field(default=0, ge=0)
    impressions: list[Served] = Field(default_factory=list)
    served: list[tuple[int, int] | None] = Field(default_factory=list)


def _encode_served(
    served: Sequence[Attribution | None],
) -> tuple[list[Served], list[tuple[int, int] | None]]:
    impressions: list[Served] = []
    indices: dict[int, int] = {}  # by identity: the tracks of one list share its impression
    refs: list[tuple[int, int] | None] = []
    for item in served:
        if item is None:
            refs.append(None)
            continue
        index = indices.setdefault(id(item.impression), len(impressions))
        if index == len(impressions):
            impressions.append(item.impression)
        refs.append((index, item.position))
    return impressions, refs


def encode_queue(queue: DeviceQueue) -> str:
    # Built without validation: a DeviceQueue already holds what the record's types say
    # (decode_queue validates what comes back).
    def play(p: Play | None) -> _PlayRecord | None:
        if p is None:
            return None
        return _PlayRecord.model_construct(token=p.token, track_id=p.track_id, position=p.position)

    impressions, refs = _encode_served(queue.served)

    return QueueRecord.model_construct(
        tracks=list(queue.tracks),
        order=list(queue.order),
        current=play(queue.current),
        offset_ms=queue.offset_ms,
        enqueued=play(queue.enqueued),
        request=list(queue.request),
        loop=queue.loop,
        shuffle=queue.shuffle,
        failures=queue.failures,
        impressions=impressions,
        served=refs,
    ).model_dump_json()


def decode_queue(key: str, version: int, body: str | bytes) -> DeviceQueue:
    """Raises ``pydantic.ValidationError`` for a body that is not a queue record."""
    record = QueueRecord.model_validate_json(body)

    def play(p: _PlayRecord | None) -> Play | None:
        return Play(p.token, p.track_id, p.position) if p else None

    impressions, known = record.impressions, range(len(record.impressions))

    return DeviceQueue(
        key=key,
        tracks=tuple(record.tracks),
        order=tuple(record.order),
        current=play(record.current),
        offset_ms=record.offset_ms,
        enqueued=play(record.enqueued),
        request=tuple(record.request),
        loop=record.loop,
        shuffle=record.shuffle,
        failures=record.failures,
        version=version,
        served=tuple(
            Attribution(impressions[ref[0]], ref[1])
            if ref is not None and ref[0] in known
            else None
            for ref in record.served
        ),
    )


def decode_settings(version: int, body: str | bytes) -> QueueSettings:
    """The settings of a stored body, at a fifth of ``decode_queue``'s cost: a play request
    replaces the whole queue and keeps only these. Raises ``pydantic.ValidationError``."""
    record = _SettingsRecord.model_validate_json(body)
    return QueueSettings(version, record.loop, record.shuffle)


Stored = TypeVar("Stored", DeviceQueue, QueueSettings)
"""What a store's read decodes: the whole queue (``decode_queue``) or its settings."""


@contextmanager
def parsing(key: str) -> Iterator[None]:
    """Inside it, a stored record that does not parse (a body that is not a queue record, a
    missing attribute, a version that is not a number) raises ``QueueUnavailable``."""
    try:
        yield
    except (KeyError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise QueueUnavailable(f"stored queue {key} does not parse: {exc}") from exc


class QueueStore(Protocol):
    """Device queues by key, written with an optimistic version check."""

    def ensure_schema(self) -> None:
        """Create the table if missing (idempotent)."""

    def load(self, key: str) -> DeviceQueue | None:
        """The stored queue (``version`` set), or None when there is none or it expired."""

    def load_settings(self, key: str) -> QueueSettings | None:
        """The stored queue's version and settings (``decode_settings``), or None as
        ``load`` would answer."""

    def save(self, queue: DeviceQueue) -> DeviceQueue | None:
        """Store ``queue`` if the stored version still equals ``queue.version`` (no stored
        queue counts as 0): the queue as stored, version + 1. None when another writer
        saved first; nothing is written then."""

    def delete(self, key: str) -> None:
        """Forget a queue (no error when there is none)."""

    def forget(self, user_id: str) -> int:
        """Delete every queue of ``user_id``, on any device (the keys ``owner_prefix``
        names); returns how many. For erasure, rare: it may scan the whole store."""

    def close(self) -> None:
        """Release connections."""
