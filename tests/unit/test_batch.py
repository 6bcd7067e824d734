"""Batch inference on a small hand-made world, over the embedded SQLite stores."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from playback.catalog import Track
from recommender.batch.inference import BatchInference, IncrementalTrigger
from recommender.batch.lists import ListSettings
from recommender.batch.promoted_model import (
    ModelDataMismatch,
    ModelLists,
    load_promoted_model,
    promoted_ref,
    promoted_version,
)
from recommender.data.interactions import Interactions, ItemSets
from recommender.data.sparse import user_items_matrix
from recommender.models.popularity import PopularityModel
from recommender.models.registry import DataFingerprint, ModelRegistry, vocabulary_digest
from recommender.storage.cache import list_key
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.profiles import ProfileChange, TrackCounts, UserProfile
from recommender.storage.recommendations import NEW_TRACKS_CONTEXT, POPULAR_USER, TRENDING_CONTEXT
from recommender.storage.sqlite_profiles import SqliteProfileStore
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore

# Ten jazz (calm) and ten rock (energetic) tracks; t19 is explicit; two new tracks nobody
# played: a calm jazz one and an energetic rock one.
TRACKS = [
    Track(f"t{i:02d}", f"T{i}", "a", "A", genre="jazz" if i < 10 else "rock",
          moods=("calm",) if i < 10 else ("energetic",), explicit=i == 19,
          energy=0.2 if i < 10 else 0.9, tempo=80.0 if i < 10 else 160.0)
    for i in range(20)
]  # fmt: skip
NEW = [
    Track("n-jazz", "New jazz", "c", "C", genre="jazz", moods=("calm",), energy=0.2, tempo=80.0),
    Track("n-rock", "New rock", "d", "D", genre="rock", moods=("energetic",), energy=0.9,
          tempo=160.0),
]  # fmt: skip
USERS = [f"u{i}" for i in range(8)]  # u0-u3 play jazz, u4-u7 rock


def _interactions() -> Interactions:
    rows, items = [], []
    for u in range(8):
        base = 0 if u < 4 else 10
        for k in range(5):  # each plays five of their genre, popularity falls with the index
            rows.append(u)
            items.append(base + (u + k) % 10)
    n = len(rows)
    return Interactions(
        user_ids=np.array(USERS),
        track_ids=np.array([t.track_id for t in TRACKS]),
        user_idx=np.array(rows, dtype=np.int64),
        track_idx=np.array(items, dtype=np.int64),
        confidence=np.ones(n),
        event_time=np.arange(n, dtype=np.float64),
        end_reason=np.zeros(n, dtype=np.int8),
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SqliteRecommendationStore, SqliteProfileStore]]:
    store = SqliteRecommendationStore(tmp_path / "recs.db")
    profiles = SqliteProfileStore(tmp_path / "profiles.db")
    store.ensure_schema()
    profiles.ensure_schema()
    profiles.put_many(
        [
            UserProfile(u, country="DE" if i % 2 else "FR", birth_year=1990,
                        explicit_allowed=i != 5,
                        genre_affinity={"jazz": 0.6} if i < 4 else {"rock": 0.7})
            for i, u in enumerate(USERS)
        ]
    )  # fmt: skip
    yield store, profiles
    store.close()
    profiles.close()


def _popularity(plays: Interactions) -> PopularityModel:
    return PopularityModel(plays).fit(user_items_matrix(plays))


def _batch(
    world: tuple[SqliteRecommendationStore, SqliteProfileStore],
    cache: InProcessCache | None = None,
    model: ModelLists | None = None,
) -> BatchInference:
    store, profiles = world
    plays = _interactions()
    lists = model or ModelLists(_popularity(plays), user_items_matrix(plays))
    settings = ListSettings(per_user=5, min_cohort_users=2, trending_min_events=3)
    return BatchInference(
        lists,
        plays,
        TRACKS + NEW,
        store,
        profiles,
        cache,
        settings,
    )


def test_a_full_run_publishes_a_snapshot_of_every_list(world) -> None:  # type: ignore[no-untyped-def]
    store, _ = world
    report = _batch(world).run_full()

    pointer = store.snapshot_pointer()
    assert pointer.current == report.snapshot and report.snapshot.startswith("popularity.v1.")
    assert report.users == 8 and report.lists >= 8 * 3 and report.charts > 0
    seen = _interactions().seen()
    for u, user in enumerate(USERS):
        overall = store.get_list(user)
        assert overall is not None and overall.model_version == "popularity.v1"
        assert not {int(t[1:]) for t in overall.track_ids} & set(seen.row(u).tolist())
        genre = "jazz" if u < 4 else "rock"
        assert store.get_list(user, f"genre:{genre}") is not None  # a leading context
        fresh = store.get_list(user, NEW_TRACKS_CONTEXT)
        # Content similarity: the new track of their genre, far ahead of the other one.
        assert fresh is not None and f"n-{genre}" in fresh.track_ids[:3]
        other = "n-rock" if genre == "jazz" else "n-jazz"
        assert other not in fresh.track_ids[:3]
    kid = store.get_list("u5")
    assert kid is not None and "t19" not in kid.track_ids  # explicit kept from restricted
    for context in ("all", "genre:jazz", "mood:calm", "region:de", "region:fr", "age:1990s"):
        chart = store.get_list(POPULAR_USER, context)
        assert chart is not None and chart.track_ids and "t19" not in chart.track_ids, context


def test_runs_keep_the_previous_snapshot_and_drop_older_ones(world) -> None:  # type: ignore[no-untyped-def]
    store, _ = world
    first = _batch(world).run_full().snapshot
    second = _batch(world).run_full().snapshot
    third = _batch(world).run_full().snapshot
    assert len({first, second, third}) == 3
    assert (store.snapshot_pointer().current, store.snapshot_pointer().previous) == (third, second)
    assert store.get_list("u0", snapshot=first) is None
    assert store.get_list("u0", snapshot=second) is not None
    assert store.rollback().current == second


def test_an_incremental_run_recomputes_only_changed_listeners(world) -> None:  # type: ignore[no-untyped-def]
    store, profiles = world
    cache = InProcessCache()
    batch = _batch(world, cache)
    snapshot = batch.run_full().snapshot
    before = store.get_list("u0")
    assert before is not None
    heard_now = before.track_ids[:2]
    cache.set(list_key(snapshot, "u0", "all"), b"stale", 60)

    def update(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
        assert current is not None
        return ProfileChange(replace(current, recent_track_ids=heard_now))

    profiles.apply_events("u0", ["e1"], update)
    report = batch.run_incremental()

    assert (report.mode, report.snapshot, report.users) == ("incremental", snapshot, 1)
    after = store.get_list("u0")
    assert after is not None and not set(after.track_ids) & set(heard_now)
    assert store.get_list("u1") == _lists_unchanged(store, "u1")
    assert cache.get(list_key(snapshot, "u0", "all")) is None  # the stale copy is gone
    assert profiles.changed_users() == []
    assert batch.run_incremental().users == 0


def _lists_unchanged(store: SqliteRecommendationStore, user: str) -> object:
    return store.get_list(user)


def test_a_trending_chart_comes_from_the_live_counters(world) -> None:  # type: ignore[no-untyped-def]
    store, profiles = world
    from datetime import UTC, datetime

    today = datetime.now(UTC).strftime("%Y-%m-%d")

    def update(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
        counts = {
            (today, "t15"): TrackCounts(plays=5, likes=1),
            (today, "t01"): TrackCounts(plays=1, skips=1),
        }  # noqa: E501
        return ProfileChange(current or UserProfile("u0"), counts)

    profiles.apply_events("u0", ["e1"], update)
    _batch(world).run_full()
    trending = store.get_list(POPULAR_USER, TRENDING_CONTEXT)
    assert trending is not None and trending.track_ids == ("t15",)


class ImplicitStyleModel:
    """A model with the contract's recommend(user_ids, user_items, n, ...), no ScoringModel."""

    version = "fake.v1"

    def recommend(
        self,
        user_ids: np.ndarray,
        user_items: object,
        n: int = 10,
        filter_already_liked: bool = True,
        *,
        filter_items: object = None,
        items: object = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        order = np.arange(20, dtype=np.int64)[::-1]  # likes high indices best
        if items is not None:
            order = order[np.isin(order, np.asarray(items))]
        if filter_items is not None:
            order = order[~np.isin(order, np.asarray(filter_items))]
        ids = np.tile(order[:n], (len(user_ids), 1))
        return ids, np.tile(np.linspace(1, 0, len(order[:n])), (len(user_ids), 1))


def test_any_model_with_the_collaborative_contract_fills_the_lists(world) -> None:  # type: ignore[no-untyped-def]
    import scipy.sparse as sp

    plays = _interactions()
    lists = ModelLists(ImplicitStyleModel(), sp.csr_matrix((8, 20)))  # type: ignore[arg-type]
    ids, _ = lists.top(
        np.array([0, 1]),
        3,
        ItemSets.from_sets([{19, 18}, set()]),
        items=np.arange(10, 20),
        banned=np.array([17]),
    )
    assert ids.tolist() == [[16, 15, 14], [19, 18, 16]]
    store, _ = world
    _batch(world, model=lists).run_full()
    overall = store.get_list("u0")
    assert overall is not None and overall.model_version == "fake.v1"
    assert plays.track_ids[19] not in store.get_list("u5").track_ids


def test_the_incremental_trigger_waits_for_enough_changes(world) -> None:  # type: ignore[no-untyped-def]
    runs: list[int] = []

    class Counting:
        def run_incremental(self) -> None:
            runs.append(1)

    now = [0.0]
    trigger = IncrementalTrigger(Counting(), min_changed=3, max_wait_s=60, clock=lambda: now[0])  # type: ignore[arg-type]
    trigger(["a"])
    trigger(["b"])
    assert runs == []
    trigger(["c"])
    assert runs == [1]
    trigger(["d"])
    now[0] = 61.0
    trigger(["e"])
    assert runs == [1, 1]


def test_the_promoted_model_defaults_to_popularity(tmp_path: Path) -> None:
    plays = _interactions()
    assert promoted_version(tmp_path) == "popularity.v1"
    assert load_promoted_model(tmp_path, plays).version == "popularity.v1"  # fitted on the spot


def _register(registry: ModelRegistry, plays: Interactions, model: Any, run: str) -> None:
    vocabulary = vocabulary_digest(plays.user_ids.tolist(), plays.track_ids.tolist())
    registry.register(
        model.version, run, model.save, data=DataFingerprint(digest="d", vocabulary=vocabulary)
    )


def test_batch_serves_the_registry_s_promoted_model_and_follows_rollback(
    tmp_path: Path, world: tuple[SqliteRecommendationStore, SqliteProfileStore]
) -> None:
    from recommender.models.itemknn import ItemKNNModel

    plays = _interactions()
    registry = ModelRegistry(tmp_path)
    _register(registry, plays, _popularity(plays), "r1")
    _register(registry, plays, ItemKNNModel(k=5).fit(user_items_matrix(plays)), "r1")
    registry.promote("popularity.v1")
    registry.promote("itemknn.v1", "r1")
    assert (promoted_version(tmp_path), promoted_ref(tmp_path)) == ("itemknn.v1", "itemknn.v1/r1")

    lists = load_promoted_model(tmp_path, plays)
    assert isinstance(lists.model, ItemKNNModel) and lists.version == "itemknn.v1"
    store, _ = world
    _batch(world, model=lists).run_full()
    overall = store.get_list("u0")
    assert overall is not None and overall.model_version == "itemknn.v1"
    # Item-kNN keeps u0 (a jazz listener) in jazz: t00-t09.
    assert overall.track_ids and all(int(t[1:]) < 10 for t in overall.track_ids)

    registry.rollback()
    assert promoted_ref(tmp_path) == "popularity.v1/r1"
    assert isinstance(load_promoted_model(tmp_path, plays).model, PopularityModel)


def test_a_model_trained_on_other_data_is_refused(tmp_path: Path) -> None:
    plays = _interactions()
    registry = ModelRegistry(tmp_path)
    model = _popularity(plays)
    registry.register(
        model.version, "r1", model.save, data=DataFingerprint(digest="d", vocabulary="other")
    )
    registry.promote("popularity.v1")
    with pytest.raises(ModelDataMismatch, match="trained on other listeners or tracks"):
        load_promoted_model(tmp_path, plays)
