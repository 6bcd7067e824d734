"""Folding in listeners the model never saw: their live history, as the model's rows.

A voice listener who is in no team feed is unknown to the promoted model, yet the feedback
consumer keeps their profile up to date from every play event: ``recent_track_ids`` (the
tracks they started, newest first), ``liked_track_ids`` and ``disliked_track_ids``, and
``recent_events`` (each event's kind). ``history_of`` reads their taste from that:

- **kept**: tracks they played or liked, each weighing ``PLAYED`` (``LIKED`` when liked);
- **rejected**: tracks they disliked, or whose last verdict (the newest finished, skipped,
  liked or disliked event) is a skip: a skipped track is no part of their taste, and its
  neighbours stop being pulled up.

``FoldIn`` turns histories into rows over the model's track vocabulary (``fold_in``'s
input, ``models.base.history_rows``) and says why a listener cannot be folded in
(``LeftOnCharts``): the model ranks the same for everyone, or none of the kept tracks is
one the model knows. Both batch inference (``run_incremental``) and the router's live path
(``batch.live_lists``) use it, so the two agree on what a history is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from recommender.models.base import history_rows
from recommender.storage.profiles import UserProfile

PLAYED = 1.0
LIKED = 2.0
_VERDICTS = frozenset({"finished", "skipped", "liked", "disliked"})
_REJECTING = frozenset({"skipped", "disliked"})

# Why a listener stays on the charts: the model cannot fold anyone in, or their history
# holds no track the model knows (a new listener's first plays may all be new tracks).
LeftOnCharts = Literal["model_not_personal", "no_history", "no_profile"]


@dataclass(frozen=True, slots=True)
class ListenerHistory:
    """What a listener's profile says of their taste (see the module docstring)."""

    kept: Mapping[str, float]  # track id -> weight
    rejected: frozenset[str]


def history_of(profile: UserProfile) -> ListenerHistory:
    """The listener's kept and rejected tracks, from their profile alone."""
    verdict: dict[str, str] = {}
    for event in profile.recent_events:  # newest first: the first verdict per track is final
        if event.kind in _VERDICTS:
            verdict.setdefault(event.track_id, event.kind)
    rejected = frozenset(profile.disliked_track_ids) | {
        track for track, kind in verdict.items() if kind in _REJECTING
    }
    kept = {track: PLAYED for track in profile.recent_track_ids if track not in rejected}
    kept.update({track: LIKED for track in profile.liked_track_ids if track not in rejected})
    return ListenerHistory(kept, rejected)


@dataclass(frozen=True, slots=True)
class Folded:
    """Rows for the listeners that could be folded in, and why the others could not."""

    user_ids: tuple[str, ...]
    rows: sp.csr_matrix  # one per folded listener, over the model's tracks
    left: Mapping[str, LeftOnCharts]  # user id -> why they stay on the charts


class FoldIn:
    """Histories as rows of the model whose track vocabulary is ``track_index``."""

    def __init__(self, track_index: Mapping[str, int], *, personal: bool) -> None:
        self._index = track_index
        self._personal = personal

    def rows(self, profiles: Sequence[UserProfile]) -> Folded:
        folded: list[str] = []
        histories: list[tuple[list[int], list[float]]] = []
        left: dict[str, LeftOnCharts] = {}
        for profile in profiles:
            if not self._personal:
                left[profile.user_id] = "model_not_personal"
                continue
            kept = history_of(profile).kept
            known = [(self._index[t], w) for t, w in kept.items() if t in self._index]
            if not known:
                left[profile.user_id] = "no_history"
                continue
            folded.append(profile.user_id)
            histories.append(([i for i, _ in known], [w for _, w in known]))
        rows = history_rows(
            [(np.asarray(i, dtype=np.int64), np.asarray(w)) for i, w in histories],
            len(self._index),
        )
        return Folded(tuple(folded), rows, left)
