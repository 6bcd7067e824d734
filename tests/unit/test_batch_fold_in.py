"""Listeners the model never saw: their history read from the profile, folded in by the
incremental batch run, or left on the charts and counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from recommender.batch.fold_in import FoldIn, history_of
from recommender.batch.promoted_model import ModelLists
from recommender.data.interactions import ItemSets
from recommender.data.sparse import user_items_matrix
from recommender.models.base import FoldInUnsupported
from recommender.models.ease import EASEModel
from recommender.storage.cache import list_key
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.profiles import ProfileChange, RecentEvent, UserProfile
from recommender.storage.recommendations import NEW_TRACKS_CONTEXT
from tests.unit.test_batch import _batch, _interactions, _popularity
from tests.unit.test_batch import world as world  # noqa: F401 (the fixture, by its name)

JAZZ = {f"t{i:02d}" for i in range(10)}


def _listener(user_id: str, played: Sequence[str], skipped: Sequence[str] = ()) -> UserProfile:
    """A voice listener who started ``played`` in order, finishing all but ``skipped``."""
    events: list[RecentEvent] = []
    for at, track in enumerate(played):
        events.insert(0, RecentEvent(track, "started", float(2 * at)))
        verdict = "skipped" if track in skipped else "finished"
        events.insert(0, RecentEvent(track, verdict, float(2 * at + 1)))
    return UserProfile(
        user_id,
        play_count=len(played),
        skip_count=len(skipped),
        recent_track_ids=tuple(reversed(played)),
        recent_events=tuple(events),
    )


def _ease() -> ModelLists:
    plays = _interactions()
    matrix = user_items_matrix(plays)
    return ModelLists(EASEModel(l2=1.0).fit(matrix), matrix)


def _mark(world, profile: UserProfile) -> None:  # type: ignore[no-untyped-def]
    _, profiles = world

    def update(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
        return ProfileChange(profile)

    profiles.apply_events(profile.user_id, [f"{profile.user_id}-e"], update)


def test_history_keeps_plays_and_likes_and_rejects_skips_and_dislikes() -> None:
    profile = _listener("v", ["a", "b", "c", "d"], skipped=["b", "d"])
    # A later like of a skipped track takes it back; a dislike rejects a finished one.
    profile = replace(
        profile,
        recent_events=(RecentEvent("d", "liked", 99.0), *profile.recent_events),
        liked_track_ids=("d",),
        disliked_track_ids=("c",),
    )
    history = history_of(profile)
    assert history.kept == {"a": 1.0, "d": 2.0}
    assert history.rejected == {"b", "c"}


def test_fold_in_says_why_a_listener_cannot_be_folded() -> None:
    index = {"a": 0, "b": 1}
    folded = FoldIn(index, personal=True).rows(
        [_listener("v1", ["a", "z"]), _listener("v2", ["z"]), _listener("v3", ["a"], ["a"])]
    )
    assert folded.user_ids == ("v1",) and folded.rows.shape == (1, 2)
    assert folded.rows.indices.tolist() == [0]
    assert folded.left == {"v2": "no_history", "v3": "no_history"}
    charts = FoldIn(index, personal=False).rows([_listener("v1", ["a"])])
    assert charts.user_ids == () and charts.left == {"v1": "model_not_personal"}


def test_an_incremental_run_folds_in_a_listener_no_feed_knows(world) -> None:  # type: ignore[no-untyped-def]
    store, profiles = world
    cache = InProcessCache()
    batch = _batch(world, cache, model=_ease())
    snapshot = batch.run_full().snapshot
    assert store.get_list("alexa-new") is None
    cache.set(list_key(snapshot, "alexa-new", "all"), b"stale", 60)
    listener = replace(_listener("alexa-new", ["t01", "t02", "t03"]), genre_affinity={"jazz": 0.5})
    _mark(world, listener)

    report = batch.run_incremental()

    assert (report.users, report.folded, report.left_on_charts) == (1, 1, {})
    overall = store.get_list("alexa-new")
    assert overall is not None and overall.model_version == "ease.v1"
    assert overall.track_ids and set(overall.track_ids[:3]) <= JAZZ
    assert not {"t01", "t02", "t03"} & set(overall.track_ids)
    assert store.get_list("alexa-new", "genre:jazz") is not None  # a leading context
    fresh = store.get_list("alexa-new", NEW_TRACKS_CONTEXT)
    assert fresh is not None and "n-jazz" in fresh.track_ids[:3]  # by their history's sound
    assert "n-rock" not in fresh.track_ids[:3]
    assert cache.get(list_key(snapshot, "alexa-new", "all")) is None
    assert profiles.changed_users() == []


def test_a_full_run_folds_in_marked_listeners_before_clearing_their_marks(world) -> None:  # type: ignore[no-untyped-def]
    store, profiles = world
    batch = _batch(world, model=_ease())
    batch.run_full()
    _mark(world, _listener("alexa-new", ["t01", "t02", "t03"]))
    _mark(world, _listener("alexa-unknown-tracks", ["brand-new-track"]))

    report = batch.run_full()

    assert (report.users, report.folded, report.left_on_charts) == (9, 1, {"no_history": 1})
    overall = store.get_list("alexa-new")  # in the snapshot just published
    assert overall is not None and overall.model_version == "ease.v1"
    assert profiles.changed_users() == []


def test_skips_change_a_folded_listeners_list(world) -> None:  # type: ignore[no-untyped-def]
    store, _ = world
    batch = _batch(world, model=_ease())
    batch.run_full()
    mixed = ["t02", "t16", "t03", "t17"]
    _mark(world, _listener("kept-both", mixed))
    _mark(world, _listener("skipped-rock", mixed, skipped=["t16", "t17"]))
    assert batch.run_incremental().folded == 2

    both, jazz_only = store.get_list("kept-both"), store.get_list("skipped-rock")
    assert both is not None and jazz_only is not None
    rock_kept = [t for t in both.track_ids if t not in JAZZ]
    rock_skipped = [t for t in jazz_only.track_ids if t not in JAZZ]
    assert set(jazz_only.track_ids[:3]) <= JAZZ, "rock skipped: jazz neighbours lead"
    assert len(rock_skipped) < len(rock_kept), (both.track_ids, jazz_only.track_ids)


def test_listeners_left_on_the_charts_are_counted_by_reason(world) -> None:  # type: ignore[no-untyped-def]
    store, profiles = world
    popularity = _batch(world)  # the charts' model: the same list for everyone
    popularity.run_full()
    _mark(world, _listener("alexa-a", ["t01", "t02"]))
    report = popularity.run_incremental()
    assert (report.folded, report.left_on_charts) == (0, {"model_not_personal": 1})

    batch = _batch(world, model=_ease())
    _mark(world, _listener("alexa-b", ["brand-new-track"]))
    _mark(world, _listener("alexa-c", ["t01"], skipped=["t01"]))
    report = batch.run_incremental()
    assert (report.users, report.folded, report.left_on_charts) == (0, 0, {"no_history": 2})
    for user in ("alexa-a", "alexa-b", "alexa-c"):
        assert store.get_list(user) is None
    assert profiles.changed_users() == []  # handled: counted, not retried forever


def test_model_lists_refuse_to_fold_into_a_chart_model() -> None:
    matrix = user_items_matrix(_interactions())
    lists = ModelLists(_popularity(_interactions()), matrix)
    assert not lists.folds_in
    with pytest.raises(FoldInUnsupported):
        lists.top(
            np.zeros(1, dtype=np.int64),
            3,
            ItemSets.from_sets([set()]),
            folded=matrix[[0]],
        )
