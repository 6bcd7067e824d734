"""Assignment: deterministic, independent across experiments, accurate traffic splits."""

from __future__ import annotations

from collections import Counter

from recommender.experiments.assignment import ConfiguredAssigner, assign
from tests.unit.experiments.simulate import experiment

LISTENERS = [f"listener-{index}" for index in range(20_000)]


def test_the_same_listener_always_gets_the_same_variant() -> None:
    exp = experiment()
    first = [assign(exp, listener) for listener in LISTENERS[:2000]]
    again = [assign(exp, listener) for listener in LISTENERS[:2000]]
    fresh = [ConfiguredAssigner([exp]).assign(listener)[0].variant for listener in LISTENERS[:2000]]
    assert first == again
    assert [v.name for v in first if v] == fresh


def test_adding_an_experiment_moves_nobody_in_another() -> None:
    ranker = experiment("ranker")
    before = {
        listener: [a.variant for a in ConfiguredAssigner([ranker]).assign(listener)]
        for listener in LISTENERS[:3000]
    }
    both = ConfiguredAssigner([ranker, experiment("reranker", (1, 1, 1))])
    after = {
        listener: [a.variant for a in both.assign(listener) if a.experiment == "ranker"]
        for listener in LISTENERS[:3000]
    }
    assert before == after


def test_variants_of_two_experiments_are_independent() -> None:
    a, b = experiment("a"), experiment("b")
    pairs = Counter((assign(a, x).name, assign(b, x).name) for x in LISTENERS)  # type: ignore[union-attr]
    for count in pairs.values():  # each of the four pairs near a quarter
        assert abs(count / len(LISTENERS) - 0.25) < 0.02


def test_traffic_split_follows_the_weights() -> None:
    exp = experiment(weights=(1, 1, 2))
    shares = Counter(assign(exp, listener).name for listener in LISTENERS)  # type: ignore[union-attr]
    assert abs(shares["control"] / len(LISTENERS) - 0.25) < 0.015
    assert abs(shares["treatment"] / len(LISTENERS) - 0.25) < 0.015
    assert abs(shares["third"] / len(LISTENERS) - 0.5) < 0.015


def test_traffic_share_and_widening_keeps_members_where_they_were() -> None:
    narrow = experiment(traffic=0.3)
    wide = experiment(traffic=0.6)
    in_narrow = {x: assign(narrow, x) for x in LISTENERS}
    members = {x: v for x, v in in_narrow.items() if v is not None}
    assert abs(len(members) / len(LISTENERS) - 0.3) < 0.015
    assert all(assign(wide, x) == v for x, v in members.items())
    assert abs(sum(assign(wide, x) is not None for x in LISTENERS) / len(LISTENERS) - 0.6) < 0.015


def test_the_assigner_names_the_variant_and_its_overrides() -> None:
    draft = experiment("draft", status="draft", started_at=None)
    (assignment,) = ConfiguredAssigner([experiment(), draft]).assign("listener-1")
    assert assignment.experiment == "ranker"
    assert assignment.overrides == (("model_version", f"v-{assignment.variant}"),)
    assert assignment.context() == {"exp.ranker": assignment.variant}
