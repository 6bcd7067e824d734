"""Play events to logged bandit feedback: what counts as a row, a reward and a propensity."""

from __future__ import annotations

import numpy as np
import pytest

from playback.events import EventKind, PlaybackEvent, Served
from recommender.evaluation.off_policy import OffPolicyInputError, ipw
from recommender.evaluation.off_policy_logs import from_events


def _event(
    kind: EventKind,
    track: str,
    impression: str | None,
    position: int = 0,
    propensity: float | None = 0.5,
    context: dict[str, str] | None = None,
) -> PlaybackEvent:
    if impression is None:
        return PlaybackEvent(kind=kind, user_id="u1", track_id=track)
    # The list's propensities up to this position (the earlier ones certain); none: unknown.
    fields = {
        "impression_id": impression,
        "position": position,
        "path": "personalized",
        "model_version": "m1",
        "context": context or {},
        "propensities": () if propensity is None else (1.0,) * position + (propensity,),
    }
    # A zero propensity fails ``Served``'s checks; the loader must refuse it all the same.
    served = Served.model_construct(**fields) if propensity == 0.0 else Served(**fields)  # type: ignore[arg-type]
    return PlaybackEvent(kind=kind, user_id="u1", track_id=track, served=served)


def test_a_finished_track_is_reward_one_and_a_skip_zero() -> None:
    logs = from_events(
        [
            _event("started", "t1", "i1", 0, context={"mood": "calm", "genre": "jazz"}),
            _event("finished", "t1", "i1", 0, context={"mood": "calm", "genre": "jazz"}),
            _event("started", "t2", "i1", 1, propensity=0.25),
            _event("skipped", "t2", "i1", 1, propensity=0.25),
            _event("liked", "t3", "i1", 2),  # not a play: no row
        ]
    )
    plays = {p.position: p for p in logs.plays}
    assert sorted(plays) == [0, 1]
    assert (plays[0].reward, plays[1].reward) == (1.0, 0.0)
    assert plays[0].context == "genre=jazz;mood=calm"
    assert plays[1].propensity == 0.25
    log, vocabulary = logs.bandit_log()
    assert vocabulary.tracks == ("t1", "t2")
    assert log.rewards.tolist() == [1.0, 0.0]
    assert log.propensities.tolist() == [0.5, 0.25]


def test_events_without_attribution_or_propensity_are_left_out_and_counted() -> None:
    logs = from_events(
        [
            _event("finished", "t1", None),
            _event("finished", "t2", "i1", 0, propensity=None),
            _event("skipped", "t2", "i1", 0, propensity=None),
            _event("finished", "t3", "i2", 0),
        ]
    )
    assert [p.track_id for p in logs.plays] == ["t3"]
    assert (logs.unattributed, logs.without_propensity) == (1, 1)


def test_a_zero_propensity_is_an_error_not_a_silent_weight() -> None:
    logs = from_events([_event("finished", "t1", "i1", 0, propensity=0.0)])
    with pytest.raises(OffPolicyInputError, match="propensities"):
        logs.bandit_log()


def test_no_usable_play_is_an_error() -> None:
    with pytest.raises(OffPolicyInputError, match="no logged rows"):
        from_events([_event("finished", "t1", None)]).bandit_log()


def test_impressions_become_slates_up_to_the_positions_they_cover() -> None:
    logs = from_events(
        [
            _event("finished", "a", "i1", 0, 0.5),
            _event("finished", "b", "i1", 1, 0.4),
            _event("skipped", "c", "i2", 0, 0.2),
            _event("finished", "d", "i2", 1, 0.8),
            _event("finished", "e", "i3", 0, 0.5),  # position 1 never reached
        ]
    )
    slates, plays = logs.slates(2)
    assert [[p.track_id for p in slate] for slate in plays] == [["a", "b"], ["c", "d"]]
    assert slates.rewards.tolist() == [2.0, 1.0]
    np.testing.assert_allclose(slates.propensities, [[0.5, 0.4], [0.2, 0.8]])


def test_loaded_logs_feed_the_estimators() -> None:
    events = [
        _event("finished" if i % 2 else "skipped", f"t{i % 3}", f"i{i}", 0, 0.5) for i in range(10)
    ]
    log, _ = from_events(events).bandit_log()
    assert ipw(log, np.full(len(log), 0.5)).value == pytest.approx(0.5)


def test_a_slate_needs_a_position() -> None:
    with pytest.raises(OffPolicyInputError, match="at least one position"):
        from_events([_event("finished", "a", "i1", 0)]).slates(0)
