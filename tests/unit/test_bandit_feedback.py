"""The feedback consumer folds served plays into the bandit's posteriors: finished and liked
are successes, skipped and disliked failures, of the arm the track was served in; other
kinds and unserved tracks count for nothing; a re-read page counts once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from playback.events import PlaybackEvent, Served
from recommender.errors import PosteriorStoreUnavailable
from recommender.feedback.bandit_feedback import evidence_of
from recommender.feedback.consumer import FeedbackConsumer
from recommender.serving.bandit import arm_context, group_arm
from recommender.storage.memory_cache import InProcessCache
from recommender.storage.posteriors import Posterior
from recommender.storage.sqlite_posteriors import SqlitePosteriorStore
from tests.fakes import World

WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SERVED = Served(
    impression_id="imp-1",
    position=0,
    path="personalized",
    model_version="als.v3",
    context={"mood": "Relaxing", "part_of_day": "evening"},
    propensities=(0.9, 0.95),
)
ARM = arm_context("personalized", "relaxing", None, "evening")


def ev(kind: str, event_id: str, track: str, served: Served | None = SERVED) -> PlaybackEvent:
    return PlaybackEvent(
        event_id=event_id, kind=kind, user_id="usr-1", track_id=track,  # type: ignore[arg-type]
        occurred_at=WHEN, served=served,
    )  # fmt: skip


def test_only_verdicts_on_served_tracks_are_evidence() -> None:
    events = [
        ev("started", "e0", "t-jazz-1"),
        ev("skipped", "e1", "t-jazz-1"),
        ev("finished", "e2", "t-jazz-2", SERVED.at(1)),
        ev("stopped", "e3", "t-jazz-2"),
        ev("liked", "e4", "t-jazz-2"),
        ev("disliked", "e5", "t-jazz-1"),
        ev("finished", "e6", "t-jazz-1", served=None),  # nobody recommended it
    ]
    found = [
        (e.event_id, e.context, e.track_id, e.successes, e.failures) for e in evidence_of(events)
    ]
    assert found == [
        ("e1", ARM, "t-jazz-1", 0.0, 1.0),
        ("e2", ARM, "t-jazz-2", 1.0, 0.0),
        ("e4", ARM, "t-jazz-2", 1.0, 0.0),
        ("e5", ARM, "t-jazz-1", 0.0, 1.0),
    ]


def test_the_router_and_the_consumer_name_the_same_arm() -> None:
    # The player's served context is the request's; the router keys arms from the same facets.
    assert evidence_of([ev("finished", "e1", "t")])[0].context == ARM


class FlakyStore(SqlitePosteriorStore):
    down = False

    def record(self, evidence, fold):  # type: ignore[no-untyped-def]
        if self.down:
            raise PosteriorStoreUnavailable("down (test)")
        return super().record(evidence, fold)


def test_the_consumer_updates_each_arm_once_under_redelivery(world: World, tmp_path: Path) -> None:
    posteriors = FlakyStore(tmp_path / "bandit.db")
    posteriors.ensure_schema()
    world.events.publish(
        [ev("skipped", "e1", "t-jazz-1"), ev("finished", "e2", "t-jazz-2", SERVED.at(1))]
    )
    consumer = FeedbackConsumer(
        world.events, world.profiles, world.catalog, InProcessCache(), posteriors=posteriors
    )
    posteriors.down = True
    with pytest.raises(PosteriorStoreUnavailable):
        consumer.run_once()  # the pass fails before its checkpoint moves
    assert world.profiles.get_checkpoint("feedback") is None
    posteriors.down = False
    assert consumer.run_once().read == 2
    # A consumer killed before its checkpoint re-reads the page: nothing counts twice.
    again = FeedbackConsumer(
        world.events, world.profiles, world.catalog, InProcessCache(), posteriors=posteriors,
        name="replay",
    )  # fmt: skip
    assert again.run_once().read == 2
    at = WHEN.timestamp()
    assert posteriors.read(ARM, ["t-jazz-1", "t-jazz-2"]) == {
        "t-jazz-1": Posterior(1, 2, at),
        "t-jazz-2": Posterior(2, 1, at),
    }
    # The skip also counted, once, for its genre's arm (jazz, says the catalog); the
    # catalog does not know t-jazz-2, whose play counts for its own arm only.
    assert posteriors.read(ARM, [group_arm("jazz")]) == {group_arm("jazz"): Posterior(1, 2, at)}
    posteriors.close()
