"""Building an in-app playlist from ranked candidates: what is playable, in order, once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from playback.catalog import Track


@dataclass(frozen=True, slots=True)
class Playlist:
    tracks: tuple[Track, ...]
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> candidates filtered


def build_playlist(
    candidates: Sequence[str],
    catalog: Mapping[str, Track],
    size: int,
    *,
    allow_explicit: bool = True,
    exclude: Collection[str] = (),
) -> Playlist:
    """The first ``size`` valid candidates. Invalid ones are counted by reason: not in the
    catalog, a duplicate, excluded by the client, or explicit when that is not allowed."""
    kept: list[Track] = []
    seen: set[str] = set()
    dropped: Counter[str] = Counter()
    for track_id in candidates:
        if len(kept) == size:
            break
        track = catalog.get(track_id)
        if track_id in seen:
            dropped["duplicate"] += 1
        elif track is None:
            dropped["not_in_catalog"] += 1
        elif track_id in exclude:
            dropped["excluded"] += 1
        elif track.explicit and not allow_explicit:
            dropped["explicit"] += 1
        else:
            kept.append(track)
        seen.add(track_id)
    return Playlist(tuple(kept), dict(dropped))
