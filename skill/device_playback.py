"""A listener's queue on one device: starting it, moving through it, refilling it.

Front-door neutral like ``MusicPlayer``, which chooses the tracks; this module decides which
queued track plays and returns the queue after the move (``playback.queue`` holds the pure
moves). The caller loads and saves queues (the Alexa skill does it in interceptors).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, replace
from typing import get_args

from nlu.parsed import ParsedRequest, Slot, SlotName
from playback import queue as q
from playback.directives import new_token, track_id_of
from playback.queue import DeviceQueue
from skill.player import MusicPlayer, PlayAnswer

logger = logging.getLogger(__name__)

NOTHING_BEFORE_SPEECH = "This is the first track I played for you."
END_OF_QUEUE_SPEECH = "That's everything I had lined up. Ask me to play something else."
_SLOT_NAMES: frozenset[str] = frozenset(get_args(SlotName))


@dataclass(frozen=True, slots=True)
class Move:
    """What to play (``answer.track`` None: nothing, and ``answer.speech`` says why) and the
    queue after the move (None: there is none)."""

    answer: PlayAnswer
    queue: DeviceQueue | None


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
    """Moves through device queues; ``rng`` shuffles them."""

    def __init__(self, player: MusicPlayer, *, rng: random.Random | None = None) -> None:
        self._player = player
        self._rng = rng or random.Random()

    def start(
        self,
        key: str,
        user_id: str,
        parsed: ParsedRequest,
        device_id: str | None,
        *,
        old: DeviceQueue | None = None,
        exclude: frozenset[str] = frozenset(),
    ) -> Move:
        """A new queue for a play request; loop and shuffle settings carry over."""
        answer = self._player.play(user_id, parsed, device_id, exclude=exclude)
        if answer.track is None or answer.token is None:
            return Move(answer, old)
        fresh = q.new_queue(
            key, (answer.track.track_id, *answer.upcoming), answer.token, request_slots(parsed)
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
        general = ParsedRequest(intent="play_music", confidence=1.0)
        answer = self._player.play(user_id, general, device_id, exclude=frozenset([track_id]))
        if answer.track is None:
            return None
        tracks = (track_id, answer.track.track_id, *answer.upcoming)
        return q.new_queue(key, tracks, token)

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
        answer = self._player.replay(new_token(queue.track_at(position)))
        if answer.track is None or answer.token is None:
            return Move(answer, queue)
        return Move(answer, q.playing(queue, position, answer.token))

    def resume(self, queue: DeviceQueue) -> Move:
        """The current play again, same token, from where it stopped."""
        current = queue.current
        answer = self._player.replay(current.token if current else None, queue.offset_ms)
        return Move(answer, queue)

    def again(self, queue: DeviceQueue) -> Move:
        """The current play from the start, as a new play (start over, repeat)."""
        current = queue.current
        answer = self._player.replay(current.token if current else None, fresh_token=True)
        if current is None or answer.token is None:
            return Move(answer, queue)
        return Move(answer, q.playing(queue, current.position, answer.token))

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
            answer = self._player.replay(new_token(queue.track_at(position)))
            if answer.track is not None and answer.token is not None:
                return queue, position, answer
            after = q.Play("", queue.track_at(position), position)
        return None

    def _refill(
        self, queue: DeviceQueue, user_id: str, device_id: str | None
    ) -> DeviceQueue | None:
        """The queue with more tracks for its request, or general picks when the request
        has no more (an artist's tracks all played); None when nothing new is left."""
        exclude = frozenset(queue.tracks)
        for parsed in (request_of(queue), ParsedRequest(intent="play_music", confidence=1.0)):
            answer = self._player.play(user_id, parsed, device_id, exclude=exclude)
            if answer.track is not None:
                return q.with_tracks(queue, (answer.track.track_id, *answer.upcoming))
        logger.info("nothing left to refill a device queue with")
        return None


def _position(play: q.Play | None) -> int:
    return play.position if play is not None else 0
