"""A listener's queue on one device: loading and saving it, starting it, moving through it.

``ListenerState`` is one request's view of a device queue: read from the store when first
asked for (requests that never touch it cost no I/O), saved at most once per change with an
optimistic version check, so two requests for one device (Alexa retries
PlaybackNearlyFinished) cannot both enqueue. ``DevicePlayback`` makes the moves: the player
chooses tracks, ``playback.queue`` holds the pure moves, and this module decides which queued
track plays and returns the queue after the move. The Alexa skill opens a ``ListenerState``
in a request interceptor and commits it in a response interceptor; the REST API opens and
commits one per call.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar, get_args

from listening.player import MusicPlayer, PlayAnswer, RecommendedTrack
from nlu.parsed import ParsedRequest, Slot, SlotName
from playback import queue as q
from playback.directives import new_token, track_id_of
from playback.errors import QueueUnavailable
from playback.queue import DeviceQueue, QueueSettings, QueueStore, queue_key

logger = logging.getLogger(__name__)

T = TypeVar("T")

NOTHING_BEFORE_SPEECH = "This is the first track I played for you."
END_OF_QUEUE_SPEECH = "That's everything I had lined up. Ask me to play something else."
MAX_LINEUP = 50  # upcoming tracks a queue view lists
_SLOT_NAMES: frozenset[str] = frozenset(get_args(SlotName))
_GENERAL = ParsedRequest(intent="play_music", confidence=1.0)


class ListenerState:
    """One request's view of a device queue: loaded on first use, saved at most once per
    change. A store outage reads as no queue and skips the save (logged): playback goes on
    without a queue rather than failing."""

    def __init__(self, store: QueueStore, user_id: str, device_id: str | None) -> None:
        self._store = store
        self.user_id = user_id
        self.device_id = device_id
        self.key = queue_key(user_id, device_id)
        self._queue: DeviceQueue | None = None
        self._loaded = False
        self._changed = False
        self.unavailable = False

    @property
    def queue(self) -> DeviceQueue | None:
        if not self._loaded:
            self._loaded = True
            self._queue = self._read(self._store.load)
        return self._queue

    @property
    def settings(self) -> QueueSettings | None:
        """The queue's version and settings, all a request that replaces it needs: read
        without decoding the rest of the stored queue when it was not loaded yet."""
        if self._loaded:
            return q.settings_of(self._queue) if self._queue is not None else None
        return self._read(self._store.load_settings)

    def _read(self, load: Callable[[str], T]) -> T | None:
        if self.unavailable:
            return None
        try:
            return load(self.key)
        except QueueUnavailable:
            logger.warning("queue store unavailable; going on without a queue", exc_info=True)
            self.unavailable = True
            return None

    def update(self, queue: DeviceQueue | None) -> None:
        """Replace the queue (None leaves it as it is). A queue never loaded is replaced
        without reading it: only a move made from the stored one could equal it."""
        if queue is None or (self._loaded and queue == self._queue):
            return
        self._loaded = True
        self._queue = queue
        self._changed = True

    def commit(self, *, force: bool = False) -> bool:
        """Save a changed queue. False when nothing could be saved: the store is down, or
        another request saved this queue first (then ``force`` saves over it, for explicit
        commands where the latest word wins)."""
        if not self._changed or self._queue is None:
            return True
        self._changed = False
        if self.unavailable:
            return False
        try:
            saved = self._store.save(self._queue)
            if saved is None and force:
                latest = self._store.load(self.key)
                version = latest.version if latest is not None else 0
                saved = self._store.save(replace(self._queue, version=version))
        except QueueUnavailable:
            logger.error("queue store unavailable; the queue change is lost", exc_info=True)
            return False
        if saved is None:
            logger.info("another request changed this device's queue first")
            return False
        self._queue = saved
        return True


@dataclass(frozen=True, slots=True)
class Move:
    """What to play (``answer.track`` None: nothing, and ``answer.speech`` says why) and the
    queue after the move (None: there is none, or the move left the device's as it was)."""

    answer: PlayAnswer
    queue: DeviceQueue | None


@dataclass(frozen=True, slots=True)
class Lineup:
    """A device queue as a listener sees it: what plays now and what comes after it."""

    now_playing: RecommendedTrack | None
    upcoming: tuple[RecommendedTrack, ...]
    offset_ms: int
    loop: bool
    shuffle: bool


def request_slots(parsed: ParsedRequest) -> tuple[tuple[str, str], ...]:
    """The slot values a playlist is made for, kept in the queue for refills."""
    return tuple((name, slot.value) for name, slot in sorted(parsed.slots.items()))


def request_of(queue: DeviceQueue) -> ParsedRequest:
    """The play request a queue was made for (unknown slot names are dropped)."""
    slots: dict[SlotName, Slot] = {}
    for name, value in queue.request:
        if name in _SLOT_NAMES:
            slots[name] = Slot(text=value, value=value)  # type: ignore[index]
    return ParsedRequest(intent="play_music", confidence=1.0, slots=slots)


class DevicePlayback:
    """Moves through the device queues kept in ``store``; ``rng`` shuffles them."""

    def __init__(
        self, player: MusicPlayer, store: QueueStore, *, rng: random.Random | None = None
    ) -> None:
        self._player = player
        self._store = store
        self._rng = rng or random.Random()

    def state(self, user_id: str, device_id: str | None) -> ListenerState:
        """The listener's queue on a device, for one request (no I/O until it is read)."""
        return ListenerState(self._store, user_id, device_id)

    # -- what front doors call -------------------------------------------------------------

    def play(
        self, state: ListenerState, parsed: ParsedRequest, *, now: float | None = None
    ) -> PlayAnswer:
        """A play request: a new queue on the device (settings carry over). ``now``: when
        the listener asked (see ``MusicPlayer.play``)."""
        move = self.start(
            state.key, state.user_id, parsed, state.device_id, old=state.settings, now=now
        )
        state.update(move.queue)
        return move.answer

    def next(self, state: ListenerState, *, playing_token: str | None = None) -> PlayAnswer:
        """Move to what comes after the current play: the queue's next track, or (without a
        queue) a fresh pick that is not the track ``playing_token`` (the device's) names."""
        queue = state.queue
        if queue is not None and queue.current is not None:
            move = self.skip(queue, state.user_id, state.device_id)
        else:
            current = track_id_of(playing_token)
            move = self.start(
                state.key,
                state.user_id,
                _GENERAL,
                state.device_id,
                old=q.settings_of(queue) if queue is not None else None,
                exclude=frozenset([current]) if current else frozenset(),
            )
        state.update(move.queue)
        return move.answer

    def lineup(self, queue: DeviceQueue, limit: int = MAX_LINEUP) -> Lineup:
        """What plays now and up to ``limit`` tracks after it, in play order, with metadata
        (tracks gone from the catalog left out). Raises ``CatalogUnavailable``."""
        current = queue.current.position if queue.current is not None else -1
        ahead = [queue.track_at(p) for p in range(current + 1, len(queue.order))][:limit]
        now = [queue.current.track_id] if queue.current is not None else []
        found = {item.track.track_id: item for item in self._player.playable([*now, *ahead])}
        return Lineup(
            now_playing=found.get(now[0]) if now else None,
            upcoming=tuple(found[t] for t in ahead if t in found),
            offset_ms=queue.offset_ms,
            loop=queue.loop,
            shuffle=queue.shuffle,
        )

    # -- moves ---------------------------------------------------------------------------------

    def start(
        self,
        key: str,
        user_id: str,
        parsed: ParsedRequest,
        device_id: str | None,
        *,
        old: QueueSettings | None = None,
        exclude: frozenset[str] = frozenset(),
        now: float | None = None,
    ) -> Move:
        """A new queue for a play request, in place of the one ``old`` describes: its loop
        and shuffle settings carry over. Nothing to play leaves the device's queue as it is
        (``Move.queue`` None)."""
        answer = self._player.play(user_id, parsed, device_id, exclude=exclude, now=now)
        if answer.track is None or answer.token is None:
            return Move(answer, None)
        fresh = q.new_queue(
            key,
            (answer.track.track_id, *answer.upcoming),
            answer.token,
            request_slots(parsed),
            answer.served,
        )
        if old is None:
            return Move(answer, fresh)
        fresh = q.renewed(old, fresh)
        return Move(answer, q.with_shuffle(fresh, old.shuffle, self._rng) if old.shuffle else fresh)

    def adopt(
        self, key: str, token: str, user_id: str, device_id: str | None
    ) -> DeviceQueue | None:
        """A queue behind a stream we have no queue for (it expired, or the store was
        reset): general picks after the track ``token`` names. None when it is not ours."""
        track_id = track_id_of(token)
        if track_id is None:
            return None
        answer = self._player.play(user_id, _GENERAL, device_id, exclude=frozenset([track_id]))
        if answer.track is None:
            return None
        picks = (answer.track.track_id, *answer.upcoming)
        return q.with_tracks(q.new_queue(key, (track_id,), token), picks, answer.served)

    def skip(self, queue: DeviceQueue, user_id: str, device_id: str | None) -> Move:
        """Play what comes after the current play now (next, dislike, a failed stream)."""
        ahead = self._ahead(queue, user_id, device_id)
        if ahead is None:
            return Move(PlayAnswer(END_OF_QUEUE_SPEECH), queue)
        moved, position, answer = ahead
        return Move(answer, q.playing(moved, position, answer.token or ""))

    def following(self, queue: DeviceQueue, user_id: str, device_id: str | None) -> Move:
        """What to enqueue behind the current play (gapless playback)."""
        ahead = self._ahead(queue, user_id, device_id)
        if ahead is None:
            return Move(PlayAnswer(END_OF_QUEUE_SPEECH), queue)
        moved, position, answer = ahead
        return Move(answer, q.enqueued(moved, position, answer.token or ""))

    def back(self, queue: DeviceQueue) -> Move:
        position = q.previous_position(queue)
        if position is None:
            return Move(PlayAnswer(NOTHING_BEFORE_SPEECH), queue)
        answer = self._player.replay(new_token(queue.track_at(position)), path="queue")
        if answer.track is None or answer.token is None:
            return Move(answer, queue)
        moved = q.playing(queue, position, answer.token)
        return Move(replace(answer, served=queue.served_at(position)), moved)

    def resume(self, queue: DeviceQueue) -> Move:
        """The current play again, same token, from where it stopped."""
        current = queue.current
        answer = self._player.replay(current.token if current else None, queue.offset_ms)
        if current is not None:
            answer = replace(answer, served=queue.served_at(current.position))
        return Move(answer, queue)

    def again(self, queue: DeviceQueue) -> Move:
        """The current play from the start, as a new play (start over, repeat)."""
        current = queue.current
        answer = self._player.replay(current.token if current else None, fresh_token=True)
        if current is None or answer.token is None:
            return Move(answer, queue)
        moved = q.playing(queue, current.position, answer.token)
        return Move(replace(answer, served=queue.served_at(current.position)), moved)

    def shuffled(self, queue: DeviceQueue, on: bool) -> DeviceQueue:
        return q.with_shuffle(queue, on, self._rng)

    def _ahead(
        self, queue: DeviceQueue, user_id: str, device_id: str | None
    ) -> tuple[DeviceQueue, int, PlayAnswer] | None:
        """(queue, position, answer) of the next playable track after the lined-up plays,
        refilling the playlist from recommendations when it runs out; None at the end."""
        after = queue.enqueued or queue.current
        for _ in range(q.MAX_TRACKS):  # tracks gone from the catalog are passed over
            position = q.next_position(queue, after)
            if position is None:
                refilled = self._refill(queue, user_id, device_id)
                if refilled is None:
                    return None
                shift = _position(queue.current) - _position(refilled.current)
                after = replace(after, position=after.position - shift) if after else None
                queue = refilled
                position = q.next_position(queue, after)
                if position is None:
                    return None
            answer = self._player.replay(new_token(queue.track_at(position)), path="queue")
            if answer.track is not None and answer.token is not None:
                return queue, position, replace(answer, served=queue.served_at(position))
            after = q.Play("", queue.track_at(position), position)
        return None

    def _refill(
        self, queue: DeviceQueue, user_id: str, device_id: str | None
    ) -> DeviceQueue | None:
        """The queue with more tracks for its request, or general picks when the request
        has no more (an artist's tracks all played); None when nothing new is left."""
        exclude = frozenset(queue.tracks)
        for parsed in (request_of(queue), _GENERAL):
            answer = self._player.play(user_id, parsed, device_id, exclude=exclude)
            if answer.track is not None:
                picks = (answer.track.track_id, *answer.upcoming)
                return q.with_tracks(queue, picks, answer.served)
        logger.info("nothing left to refill a device queue with")
        return None


def _position(play: q.Play | None) -> int:
    return play.position if play is not None else 0
