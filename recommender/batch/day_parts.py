"""Lists per part of the day: what a listener plays in the morning, afternoon, evening, night.

Each play belongs to a part of the day on the listener's clock (``playback.day_parts``: the
zone of their profile's country, UTC when it has none). A listener with at least
``min_plays`` plays in a part, making at least ``min_share`` of their plays, gets a list for
it (context ``part:<part>``): the model's ``candidates`` best tracks for them, re-ranked by
how much more they play the tracks' artists, genres and moods in that part than all day:

    score(t) = (1 - rank(t) / candidates)
               + weight * sum over t's facets f of (share_part(f) - share_all(f))

where ``share_*(f)`` is the fraction of their plays (in the part, all day) with facet ``f``.
A part with no contrast to the rest of the day re-ranks nothing, and parts without enough
plays get no list (the router then serves the all-day list): the write volume grows by at
most four lists per listener, and only where the evidence is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from playback.catalog import Track
from playback.day_parts import PARTS_OF_DAY, PartOfDay, part_of_hour

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Part index (into PARTS_OF_DAY) of each local hour.
_PART_OF_HOUR: IntArray = np.array(
    [PARTS_OF_DAY.index(part_of_hour(h)) for h in range(24)], dtype=np.int64
)
_DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class PartSettings:
    min_plays: int = 20  # plays in the part for the listener to get its list
    min_share: float = 0.1  # ... making at least this share of their plays
    candidates: int = 300  # the model's top tracks a part list re-ranks
    weight: float = 2.0  # of the part-of-day contrast against the model's rank


def local_parts(times_s: FloatArray, zone: ZoneInfo | None) -> IntArray:
    """The part of the day (index into ``PARTS_OF_DAY``) of each unix time on a clock in
    ``zone`` (UTC when None). The zone's offset is read once per UTC day (exact but for the
    hours around a daylight-saving change)."""
    times = np.asarray(times_s, dtype=np.float64)
    offsets = np.zeros(len(times))
    if zone is not None and len(times):
        days = np.floor(times / _DAY_S).astype(np.int64)
        unique, inverse = np.unique(days, return_inverse=True)
        per_day = np.array(
            [_offset_s(zone, int(day) * _DAY_S + _DAY_S // 2) for day in unique], dtype=float
        )
        offsets = per_day[inverse]
    hours = (np.floor((times + offsets) / 3600).astype(np.int64)) % 24
    return _PART_OF_HOUR[hours]


def _offset_s(zone: ZoneInfo, unix_s: int) -> float:
    offset = datetime.fromtimestamp(unix_s, tz=UTC).astimezone(zone).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def facet_matrix(tracks: Sequence[Track | None]) -> sp.csr_matrix:
    """Tracks (model indices) x facets (artist, genre, each mood), 1 where a track has it;
    an unknown track has none."""
    columns: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for row, track in enumerate(tracks):
        if track is None:
            continue
        facets = [f"artist:{track.artist_id}", *(f"mood:{m}" for m in track.moods)]
        if track.genre:
            facets.append(f"genre:{track.genre}")
        for facet in facets:
            rows.append(row)
            cols.append(columns.setdefault(facet, len(columns)))
    data = np.ones(len(rows))
    return sp.csr_matrix((data, (rows, cols)), shape=(len(tracks), max(1, len(columns))))


def eligible_parts(parts: IntArray, settings: PartSettings) -> list[PartOfDay]:
    """The parts of the day a listener with these plays' parts gets a list for."""
    if not len(parts):
        return []
    counts = np.bincount(parts, minlength=len(PARTS_OF_DAY))
    total = counts.sum()
    return [
        PARTS_OF_DAY[i]
        for i, count in enumerate(counts)
        if count >= settings.min_plays and count / total >= settings.min_share
    ]


def part_rerank(
    candidates: IntArray,
    played: IntArray,
    parts: IntArray,
    part: PartOfDay,
    facets: sp.csr_matrix,
    settings: PartSettings,
    n: int,
) -> tuple[IntArray, FloatArray]:
    """The top ``n`` of ``candidates`` (the model's best first, -1 padding ignored) for
    ``part``, given the listener's ``played`` tracks and each play's part; (ids, scores)."""
    candidates = candidates[candidates >= 0]
    if not len(candidates):
        return np.array([], dtype=np.int64), np.array([], dtype=np.float64)
    in_part = parts == PARTS_OF_DAY.index(part)
    share_all = np.asarray(facets[played].sum(axis=0)).ravel() / max(1, len(played))
    share_part = np.asarray(facets[played[in_part]].sum(axis=0)).ravel() / max(
        1, int(in_part.sum())
    )
    contrast = facets[candidates] @ (share_part - share_all)
    rank_score = 1.0 - np.arange(len(candidates)) / max(settings.candidates, len(candidates))
    scores = rank_score + settings.weight * np.asarray(contrast).ravel()
    order = np.argsort(-scores, kind="stable")[:n]
    return candidates[order], scores[order]
