"""Recording what listeners do: play events from every front door, never dropped.

Alexa's AudioPlayer reports, voice likes and skips, and the app's event batches and ratings
all go through ``EventRecorder``. When the stream is down events go to a spool on local disk
(``playback.spool``), which survives restarts and is replayed, oldest first, ahead of later
events once the stream is back.
"""

from __future__ import annotations

from collections.abc import Sequence

from playback.events import EventStream, PlaybackEvent
from playback.spool import EventSpool, SpooledPublisher


class EventRecorder:
    """Publishes play events through the disk spool; ``stream_retry_after_s`` is how long an
    outage leaves the stream alone."""

    def __init__(
        self, events: EventStream, spool: EventSpool, *, stream_retry_after_s: float = 5.0
    ) -> None:
        self._publisher = SpooledPublisher(events, spool, retry_after_s=stream_retry_after_s)

    def record(self, event: PlaybackEvent) -> bool:
        """Publish ``event`` (after any spooled ones). True when published now; False when
        the stream is down and it waits in the disk spool. Never raises StreamUnavailable."""
        return self._publisher.publish([event])

    def record_all(self, events: Sequence[PlaybackEvent]) -> bool:
        """``record`` for a batch, in order (app clients upload many at once)."""
        return self._publisher.publish(list(events))

    def replay_events(self) -> int:
        """Publish spooled events now (a timer may call this); how many went out."""
        return self._publisher.replay()

    @property
    def pending_events(self) -> int:
        """Events waiting in the disk spool."""
        return self._publisher.pending
