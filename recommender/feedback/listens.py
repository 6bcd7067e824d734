"""Which play events are plays of the listen feed, and as what row.

A listen-feed row is one play that ended: ``finished`` (played to the end), ``skipped`` (the
listener moved on) or ``stopped`` (stopped or paused part way), with how long it played. The
events that end a play map one to one, their offset being what played. The others are not
plays: ``started`` (its end comes as another event), ``failed`` (nothing was heard), and
``liked`` / ``disliked``: ratings, not listening, which the feed has no column for and which
would count as plays if written as rows (they reach training through the profiles, whose
likes and dislikes batch inference reads). A pause that is later resumed gives a ``stopped``
row and then the row of how it ended, as the events say; the ETL weighs a stop by the share
played.
"""

from __future__ import annotations

from collections.abc import Mapping

from playback.catalog import Track
from playback.events import EventKind, PlaybackEvent
from recommender.storage.listen_archive import ListenRow

PLAY_ENDS: dict[EventKind, str] = {
    "finished": "finished",
    "skipped": "skipped",
    "stopped": "stopped",
}


def listen_row(event: PlaybackEvent, tracks: Mapping[str, Track]) -> ListenRow | None:
    """The feed row of ``event``, or None when it is not the end of a play. A ``finished``
    event that says nothing of the offset (an app's) played the whole track."""
    end = PLAY_ENDS.get(event.kind)
    if end is None:
        return None
    played = event.offset_ms
    track = tracks.get(event.track_id)
    if end == "finished" and played == 0 and track is not None:
        played = track.duration_ms
    return ListenRow(
        event_id=event.event_id,
        user_id=event.user_id,
        track_id=event.track_id,
        ts_ms=int(event.occurred_at.timestamp() * 1000),
        ms_played=played,
        end_reason=end,
        device=event.source,  # the front door; device ids are opaque and personal
    )
