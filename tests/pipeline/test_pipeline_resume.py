"""The pipeline's steps resume: unchanged inputs are skipped, --force and --from rerun, a run
that failed half-way starts again at the failed step, a promotion reruns batch inference."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from playback.sqlite_catalog import SqliteTrackCatalog
from recommender.data.etl import unified
from recommender.data.generator.feeds import generate_feeds
from recommender.models.registry import ModelRegistry
from recommender.offline import pipeline
from recommender.offline.pipeline import STEPS, PipelineReport, run_pipeline
from recommender.offline.training import CANDIDATES
from recommender.storage.profiles import ProfileChange, UserProfile
from recommender.storage.sqlite_profiles import SqliteProfileStore
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore

FAST = tuple(c for c in CANDIDATES if c.label in {"popularity", "itemknn"})


class World:
    def __init__(self, root: Path) -> None:
        self.raw, self.work = root / "raw", root / "work"
        generate_feeds(self.raw, users=30, tracks=300, events=3_000, seed=4, progress=False)
        self.catalog = SqliteTrackCatalog(root / "catalog.db")
        self.profiles = SqliteProfileStore(root / "profiles.db")
        self.store = SqliteRecommendationStore(root / "recommendations.db")

    def run(self, **options: Any) -> PipelineReport:
        return run_pipeline(
            raw_dir=self.raw,
            work_dir=self.work,
            catalog=self.catalog,
            profiles=self.profiles,
            store=self.store,
            per_user=10,
            progress=False,
            candidates=FAST,
            **options,
        )

    def first_user(self) -> str:
        return min(p.user_id for p in unified.profiles(self.work / "unified"))

    def close(self) -> None:
        for port in (self.catalog, self.profiles, self.store):
            port.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = World(tmp_path)
    yield made
    made.close()


def test_a_second_run_skips_every_step_and_force_reruns_them(world: World) -> None:
    first = world.run()
    assert set(first.timings) == set(STEPS) and first.skipped == ()

    again = world.run()
    assert again.skipped == STEPS and again.timings == {}
    same = ("model_version", "model_run", "snapshot", "tracks", "profiles", "user_lists")
    assert all(getattr(again, name) == getattr(first, name) for name in same)
    assert again.etl == first.etl and again.report_path == first.report_path

    forced = world.run(force=True)
    assert set(forced.timings) == set(STEPS) and forced.skipped == ()
    assert forced.training_run != first.training_run and forced.snapshot != first.snapshot
    assert world.store.snapshot_pointer().current == forced.snapshot


def test_from_a_step_reruns_it_and_the_steps_after(world: World) -> None:
    first = world.run()
    later = world.run(from_step="train")
    assert later.skipped == ("etl", "catalog", "profiles")
    assert set(later.timings) == {"train", "recommend"}
    assert later.training_run != first.training_run
    with pytest.raises(ValueError, match="unknown step 'fit'"):
        world.run(from_step="fit")


def test_a_failed_run_resumes_at_the_failed_step(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("out of memory while training")

    monkeypatch.setattr(pipeline, "train", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        world.run()
    assert ModelRegistry(world.work / "models").promoted() is None

    monkeypatch.undo()
    resumed = world.run()
    assert resumed.skipped == ("etl", "catalog", "profiles")
    assert set(resumed.timings) == {"train", "recommend"}
    assert world.store.get_list(str(resumed_user(world))) is not None


def resumed_user(world: World) -> str:
    from recommender.data.etl import unified

    return next(unified.profiles(world.work / "unified")).user_id


def test_changed_inputs_or_missing_outputs_rerun_only_what_they_touch(world: World) -> None:
    first = world.run()

    # Another model promoted by hand: only batch inference reruns, and serves it.
    ModelRegistry(world.work / "models").promote("mostpopular.v1", first.training_run)
    promoted = world.run()
    assert promoted.skipped == ("etl", "catalog", "profiles", "train")
    assert promoted.model_version == "mostpopular.v1"
    stored = world.store.get_list(resumed_user(world))
    assert stored is not None and stored.model_version == "mostpopular.v1"

    # Unified tables deleted: the ETL reruns (its output is gone); same feeds, same content.
    for table in (world.work / "unified").iterdir():
        table.unlink()
    rebuilt = world.run()
    assert "etl" in rebuilt.timings

    # New feeds: everything reruns.
    generate_feeds(world.raw, users=30, tracks=300, events=3_000, seed=9, progress=False)
    changed = world.run()
    assert set(changed.timings) == set(STEPS)


def test_rewriting_profiles_keeps_what_listeners_said_live(world: World) -> None:
    world.run()
    listener = next(iter(world.profiles.get_many([world.first_user()]).values()))

    def dislike(current: UserProfile | None, new_ids: Sequence[str]) -> ProfileChange:
        profile = current or listener
        return ProfileChange(replace(profile, disliked_track_ids=("t-never",), play_count=-1))

    world.profiles.apply_events(listener.user_id, ["e-live"], dislike)
    world.run(from_step="profiles")

    after = world.profiles.get(listener.user_id)
    assert after is not None and after.disliked_track_ids == ("t-never",)
    assert after.play_count == listener.play_count  # counts come back from the feeds
