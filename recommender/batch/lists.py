"""The lists a batch run computes, from a model, the play history, the track catalog and
profiles.

No I/O: ``ListBuilder`` turns arrays into ``RecommendationList``s; ``batch`` reads and writes.

- Per listener (``user_lists``): ``all`` (the model's top-n without what they heard or
  disliked, explicit tracks kept from restricted listeners); one list per leading context
  (their best-liked genres and moods by learnt affinity, else what they stated); and ``new``:
  tracks nobody has played yet, by content similarity to what they play (``content``); of a
  large catalog's unplayed tracks, the ``new_candidates`` most recently released; and
  ``part:<part>`` for each part of the day they play enough in (``day_parts``).
- Charts (``charts``, under ``POPULAR_USER``): ``all``, every mood and genre, per region
  (``region:<cc>``) and age group (``age:<decade>s``) with enough listeners, and
  ``trending`` from the live popularity counters. Whatever model is promoted, the charts come
  from the charts' model (``charts.chart_model``, fitted on the play log or a cohort's plays).
  Charts never hold explicit tracks: anyone may be served them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from playback.catalog import Track
from playback.day_parts import PartOfDay, timezone_of
from playback.vocabulary import MOODS
from recommender.batch.charts import chart_contexts, chart_model, top_per_context
from recommender.batch.day_parts import (
    PartSettings,
    eligible_parts,
    facet_matrix,
    local_parts,
    part_rerank,
)
from recommender.batch.promoted_model import ModelLists
from recommender.data import content_features as content
from recommender.data.interactions import Interactions, ItemSets
from recommender.models.base import FOLDED_USER
from recommender.storage.profiles import TrackCounts, UserProfile
from recommender.storage.recommendations import (
    NEW_TRACKS_CONTEXT,
    POPULAR_USER,
    TRENDING_CONTEXT,
    RecommendationList,
    age_context,
    context_key,
    part_context,
    region_context,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CONTENT_VERSION = "content.v1"
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ListSettings:
    per_user: int = 100
    genres_per_user: int = 2
    moods_per_user: int = 1
    new_per_user: int = 10
    # Unplayed tracks the new lists choose from, the most recently released first: every
    # listener is compared with each of them, so a large catalog's many are capped.
    new_candidates: int = 20_000
    min_cohort_users: int = 5  # a region or age group needs this many listeners for a chart
    trending_min_events: int = 1_000
    day_parts: PartSettings = field(default_factory=PartSettings)  # ``part:<part>`` lists


class ListBuilder:
    """Lists for the listeners of ``interactions``; tracks are the model's indices."""

    def __init__(
        self,
        model: ModelLists,
        interactions: Interactions,
        tracks: Sequence[Track],
        settings: ListSettings,
        generated_at: float,
    ) -> None:
        self.model = model
        self.plays = interactions
        self.settings = settings
        self.generated_at = generated_at
        by_id = {track.track_id: track for track in tracks}
        vocab = [str(t) for t in interactions.track_ids]
        self._vocab_tracks = [by_id.get(t) for t in vocab]
        played = np.bincount(interactions.track_idx, minlength=len(vocab)) > 0
        known = {t for t, ok in zip(vocab, played, strict=True) if ok}
        # Cold: in the catalog, never played (unknown to the model or scored 0 by it).
        self.cold_tracks = newest([t for t in tracks if t.track_id not in known], settings)
        self._all_tracks = list(tracks)

    # -- shared arrays ------------------------------------------------------------------------

    @cached_property
    def unavailable(self) -> IntArray:
        return np.flatnonzero([t is None for t in self._vocab_tracks]).astype(np.int64)

    @cached_property
    def restricted_ban(self) -> IntArray:
        explicit = [t is None or t.explicit for t in self._vocab_tracks]
        return np.flatnonzero(explicit).astype(np.int64)

    @cached_property
    def contexts(self) -> dict[str, IntArray]:
        genres = [t.genre if t else None for t in self._vocab_tracks]
        moods = [t.moods if t else () for t in self._vocab_tracks]
        found = {context_key(mood=m): np.array([], dtype=np.int64) for m in MOODS}
        found.update(chart_contexts(genres, moods))
        return found

    @cached_property
    def seen(self) -> ItemSets:
        return self.plays.seen()

    @cached_property
    def _vocab_ids(self) -> npt.NDArray[np.object_]:
        """Track ids as Python strings: ``tolist`` of a slice is then one C loop."""
        return np.array([str(t) for t in self.plays.track_ids], dtype=object)

    @cached_property
    def _vocab_index(self) -> dict[str, int]:
        return {str(t): i for i, t in enumerate(self.plays.track_ids)}

    @cached_property
    def _cold_vectors(self) -> tuple[FloatArray, FloatArray]:
        """(content vectors of every catalog track, those of the cold ones)."""
        vectors = content.track_vectors(self._all_tracks)
        row_of = self._catalog_row_of
        cold_rows = np.array([row_of[t.track_id] for t in self.cold_tracks], dtype=np.int64)
        return vectors, vectors[cold_rows]

    @cached_property
    def _cold_index(self) -> tuple[dict[str, int], list[int]]:
        """(cold track id -> its row among the cold tracks, rows of the explicit ones)."""
        index = {t.track_id: i for i, t in enumerate(self.cold_tracks)}
        return index, [i for i, t in enumerate(self.cold_tracks) if t.explicit]

    @cached_property
    def _catalog_row_of(self) -> dict[str, int]:
        """Track id -> its row in the catalog (and in ``_cold_vectors``' first array)."""
        return {t.track_id: i for i, t in enumerate(self._all_tracks)}

    @cached_property
    def _vocab_catalog_rows(self) -> IntArray:
        """Each model track index's catalog row, -1 for tracks no longer in the catalog."""
        row_of = self._catalog_row_of
        return np.array([row_of.get(str(t), -1) for t in self.plays.track_ids], dtype=np.int64)

    # -- charts -------------------------------------------------------------------------------

    def charts(
        self, profiles: Mapping[str, UserProfile], trending: Mapping[str, TrackCounts]
    ) -> Iterator[RecommendationList]:
        n, n_items = self.settings.per_user, len(self.plays.track_ids)
        everyone = chart_model(self.plays)
        for key, (ids, scores) in top_per_context(
            everyone, self.contexts, n_items, n, banned=self.restricted_ban
        ).items():
            yield self._list(POPULAR_USER, key, ids, scores, everyone.version)
        for key, users in self._cohorts(profiles).items():
            cohort = chart_model(_subset(self.plays, users))
            everything = {key: np.arange(n_items)}
            for _, (ids, scores) in top_per_context(
                cohort, everything, n_items, n, banned=self.restricted_ban
            ).items():
                yield self._list(POPULAR_USER, key, ids, scores, cohort.version)
        chart = self._trending(trending)
        if chart is not None:
            yield chart

    def _cohorts(self, profiles: Mapping[str, UserProfile]) -> dict[str, IntArray]:
        groups: dict[str, list[int]] = {}
        for index, user_id in enumerate(self.plays.user_ids):
            profile = profiles.get(str(user_id))
            if profile is None:
                continue
            if profile.country:
                groups.setdefault(region_context(profile.country), []).append(index)
            if profile.birth_year:
                groups.setdefault(age_context(profile.birth_year), []).append(index)
        return {
            key: np.asarray(users, dtype=np.int64)
            for key, users in sorted(groups.items())
            if len(users) >= self.settings.min_cohort_users
        }

    def _trending(self, counts: Mapping[str, TrackCounts]) -> RecommendationList | None:
        """What listeners played, finished and liked lately, minus skips and dislikes."""
        events = sum(c.plays + c.skips + c.likes + c.dislikes for c in counts.values())
        if events < self.settings.trending_min_events:
            return None
        banned = set(self.restricted_ban.tolist())
        servable = {t: i for t, i in self._vocab_index.items() if i not in banned}
        scored = sorted(
            (
                (c.plays + c.finishes + 2 * c.likes - c.skips - 2 * c.dislikes, track_id)
                for track_id, c in counts.items()
                if track_id in servable
            ),
            key=lambda item: (-item[0], item[1]),
        )
        best = [(s, t) for s, t in scored if s > 0][: self.settings.per_user]
        return RecommendationList(
            POPULAR_USER,
            TRENDING_CONTEXT,
            "trending.v1",
            tuple(t for _, t in best),
            tuple(float(s) for s, _ in best),
            self.generated_at,
        )

    # -- per listener -------------------------------------------------------------------------

    def user_lists(
        self, users: IntArray, profiles: Mapping[str, UserProfile]
    ) -> Iterator[RecommendationList]:
        """Every list of ``users`` (indices into the listener vocabulary)."""
        ids_of = [str(self.plays.user_ids[u]) for u in users]
        yield from self._lists(_Listeners(ids_of, users, self.seen.take(users)), profiles)

    def folded_lists(
        self, user_ids: Sequence[str], rows: sp.csr_matrix, profiles: Mapping[str, UserProfile]
    ) -> Iterator[RecommendationList]:
        """Every list of listeners the model never saw, from their history ``rows`` (one
        each, over the model's tracks: ``fold_in.FoldIn``); the same lists as
        ``user_lists``, their history standing in for the play history."""
        rows = sp.csr_matrix(rows)
        rows.sort_indices()
        heard = ItemSets(rows.indptr.astype(np.int64), rows.indices.astype(np.int64))
        users = np.full(len(user_ids), FOLDED_USER, dtype=np.int64)
        yield from self._lists(_Listeners(list(user_ids), users, heard, rows), profiles)

    def _lists(
        self, listeners: _Listeners, profiles: Mapping[str, UserProfile]
    ) -> Iterator[RecommendationList]:
        n = self.settings.per_user
        ids_of, users = listeners.ids, listeners.users
        owned = [profiles.get(user_id) for user_id in ids_of]
        exclude = self._exclusions(listeners.seen, owned)
        allowed = np.array([p is None or p.explicit_allowed for p in owned], dtype=bool)
        bans = {True: self.unavailable, False: self.restricted_ban}
        ids = np.full((len(users), n), -1, dtype=np.int64)
        scores = np.full((len(users), n), np.nan)
        for flag, ban in bans.items():
            rows = np.flatnonzero(allowed == flag)
            if len(rows):
                ids[rows], scores[rows] = self.model.top(
                    users[rows], n, exclude.take(rows), banned=ban, folded=listeners.rows_of(rows)
                )
        for row, user_id in enumerate(ids_of):
            yield self._list(user_id, "all", ids[row], scores[row], self.model.version)
        groups: dict[tuple[str, bool], list[int]] = {}
        for row, profile in enumerate(owned):
            for key in leading_contexts(profile, self.settings):
                if key in self.contexts:
                    groups.setdefault((key, bool(allowed[row])), []).append(row)
        for (key, flag), rows_list in sorted(groups.items()):
            rows = np.asarray(rows_list, dtype=np.int64)
            c_ids, c_scores = self.model.top(
                users[rows],
                n,
                exclude.take(rows),
                items=self.contexts[key],
                banned=bans[flag],
                folded=listeners.rows_of(rows),
            )
            for i, row in enumerate(rows_list):
                yield self._list(ids_of[row], key, c_ids[i], c_scores[i], self.model.version)
        if listeners.folded is None:  # part lists need the play log's times
            yield from self._part_lists(users, ids_of, owned, exclude, allowed)
        yield from self._new_lists(listeners.seen, ids_of, owned, allowed)

    def _part_lists(
        self,
        users: IntArray,
        ids_of: Sequence[str],
        owned: Sequence[UserProfile | None],
        exclude: ItemSets,
        allowed: BoolArray,
    ) -> Iterator[RecommendationList]:
        """``part:<part>`` lists of the listeners with enough plays in a part of the day."""
        settings = self.settings.day_parts
        indptr, order = self._plays_by_user
        wanted: list[tuple[int, IntArray, IntArray, list[PartOfDay]]] = []
        for row, user in enumerate(users.tolist()):
            plays = order[indptr[user] : indptr[user + 1]]
            profile = owned[row]
            zone = timezone_of(country=profile.country if profile else None)
            parts = local_parts(self.plays.event_time[plays], zone)
            eligible = eligible_parts(parts, settings)
            if eligible:
                wanted.append((row, self.plays.track_idx[plays], parts, eligible))
        bans = {True: self.unavailable, False: self.restricted_ban}
        for flag in (True, False):
            group = [w for w in wanted if bool(allowed[w[0]]) == flag]
            if not group:
                continue
            rows = np.asarray([w[0] for w in group], dtype=np.int64)
            c_ids, _ = self.model.top(
                users[rows], settings.candidates, exclude.take(rows), banned=bans[flag]
            )
            for i, (row, played, parts, eligible) in enumerate(group):
                for part in eligible:
                    ids, scores = part_rerank(
                        c_ids[i], played, parts, part, self._facets, settings,
                        self.settings.per_user,
                    )  # fmt: skip
                    yield self._list(
                        ids_of[row], part_context(part), ids, scores, self.model.version
                    )

    @cached_property
    def _plays_by_user(self) -> tuple[IntArray, IntArray]:
        """(indptr by listener index, play indices sorted by listener)."""
        order = np.argsort(self.plays.user_idx, kind="stable").astype(np.int64)
        counts = np.bincount(self.plays.user_idx, minlength=len(self.plays.user_ids))
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), order

    @cached_property
    def _facets(self) -> sp.csr_matrix:
        return facet_matrix(self._vocab_tracks)

    def _exclusions(self, base: ItemSets, owned: Sequence[UserProfile | None]) -> ItemSets:
        """What each listener heard (``base``, recent plays) or disliked, as track indices."""
        extra_rows: list[int] = []
        extra_items: list[int] = []
        for row, profile in enumerate(owned):
            if profile is None:
                continue
            for track_id in (*profile.recent_track_ids, *profile.disliked_track_ids):
                index = self._vocab_index.get(track_id)
                if index is not None:
                    extra_rows.append(row)
                    extra_items.append(index)
        if not extra_rows:
            return base
        rows = np.concatenate([np.repeat(np.arange(len(owned)), base.lengths()), extra_rows])
        items = np.concatenate([base.indices, extra_items])
        return ItemSets.from_pairs(rows, items, len(owned))

    def _new_lists(
        self,
        plays: ItemSets,
        ids_of: Sequence[str],
        owned: Sequence[UserProfile | None],
        allowed: BoolArray,
    ) -> Iterator[RecommendationList]:
        if not self.cold_tracks or self.settings.new_per_user <= 0:
            return
        vectors, cold_vectors = self._cold_vectors
        row_of, vocab_rows = self._catalog_row_of, self._vocab_catalog_rows
        rows = np.repeat(np.arange(len(ids_of)), plays.lengths())
        catalog_rows = vocab_rows[plays.indices]
        weights = np.ones(len(rows))
        keep = catalog_rows >= 0
        liked_rows: list[int] = []
        liked_items: list[int] = []
        for row, profile in enumerate(owned):
            for track_id in profile.liked_track_ids if profile else ():
                if track_id in row_of:
                    liked_rows.append(row)
                    liked_items.append(row_of[track_id])
        taste = content.taste_vectors(
            vectors,
            np.concatenate([rows[keep], liked_rows]).astype(np.int64),
            np.concatenate([catalog_rows[keep], liked_items]).astype(np.int64),
            np.concatenate([weights[keep], np.full(len(liked_rows), 2.0)]),
            len(ids_of),
        )
        cold_index, explicit_cold = self._cold_index
        blocked: list[list[int]] = []
        for row, profile in enumerate(owned):
            heard = (
                () if profile is None else (*profile.recent_track_ids, *profile.disliked_track_ids)
            )
            mine = [cold_index[t] for t in heard if t in cold_index]
            blocked.append(mine + ([] if allowed[row] else explicit_cold))
        best, sims = content.most_similar(taste, cold_vectors, self.settings.new_per_user, blocked)
        for row, user_id in enumerate(ids_of):
            valid = best[row] >= 0
            picked = tuple(self.cold_tracks[i].track_id for i in best[row][valid])
            if picked:
                yield RecommendationList(
                    user_id,
                    NEW_TRACKS_CONTEXT,
                    CONTENT_VERSION,
                    picked,
                    _rounded(sims[row][valid]),
                    self.generated_at,
                )

    def _list(
        self, user_id: str, context: str, ids: IntArray, scores: FloatArray, version: str
    ) -> RecommendationList:
        valid = ids >= 0
        return RecommendationList(
            user_id=user_id,
            context=context,
            model_version=version,
            track_ids=tuple(self._vocab_ids[ids[valid]].tolist()),
            scores=_rounded(scores[valid]),
            generated_at=self.generated_at,
        )


@dataclass(frozen=True, slots=True)
class _Listeners:
    """A batch of listeners to list: known to the model (``users`` index its listeners) or
    folded in (``folded``: their history rows, ``users`` all ``FOLDED_USER``)."""

    ids: list[str]
    users: IntArray
    seen: ItemSets  # what each has heard, as track indices
    folded: sp.csr_matrix | None = None

    def rows_of(self, rows: IntArray) -> sp.csr_matrix | None:
        return None if self.folded is None else sp.csr_matrix(self.folded[rows])


def _rounded(scores: FloatArray) -> tuple[float, ...]:
    """Six decimals are plenty for ranking and keep stored lists small and stable."""
    return tuple(np.round(scores, 6).tolist())


def newest(cold: Sequence[Track], settings: ListSettings) -> list[Track]:
    """The ``settings.new_candidates`` most recently released of ``cold`` (ties by catalog
    order), in catalog order; all of them when there are no more."""
    if len(cold) <= settings.new_candidates:
        return list(cold)
    by_release = sorted(range(len(cold)), key=lambda i: (-(cold[i].release_year or 0), i))
    kept = sorted(by_release[: settings.new_candidates])
    logger.info(
        "new lists choose among the most recently released unplayed tracks",
        extra={"unplayed": len(cold), "kept": len(kept)},
    )
    return [cold[i] for i in kept]


def leading_contexts(profile: UserProfile | None, settings: ListSettings) -> list[str]:
    """A listener's best-liked genres and moods (learnt affinity > 0, else stated)."""
    if profile is None:
        return []

    def best(affinity: Mapping[str, float], stated: Sequence[str], k: int) -> list[str]:
        liked = sorted((v, name) for name, v in affinity.items() if v > 0)
        names = [name for _, name in sorted(liked, key=lambda item: (-item[0], item[1]))]
        return (names or list(stated))[:k]

    genres = best(profile.genre_affinity, profile.stated_genres, settings.genres_per_user)
    moods = best(profile.mood_affinity, profile.stated_moods, settings.moods_per_user)
    return [context_key(genre=g) for g in genres] + [context_key(mood=m) for m in moods]


def _subset(plays: Interactions, users: IntArray) -> Interactions:
    """The plays of ``users`` only; vocabularies unchanged so indices still line up."""
    mask = np.isin(plays.user_idx, users)
    return replace(
        plays,
        user_idx=plays.user_idx[mask],
        track_idx=plays.track_idx[mask],
        confidence=plays.confidence[mask],
        event_time=plays.event_time[mask],
        end_reason=plays.end_reason[mask],
    )
