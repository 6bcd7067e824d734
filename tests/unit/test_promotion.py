"""The promotion gate's rule: margin, guardrails, ties, no champion, missing figures, and the
settings that configure it."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from philomath.offline import promotion_policy
from philomath.settings import Settings, settings_problems
from recommender.evaluation.protocol import ModelResult
from recommender.offline.champion import Champion, gate_decision
from recommender.offline.promotion import (
    NO_CHAMPION,
    Contender,
    Guardrail,
    PromotionPolicy,
    decide,
)

POLICY = PromotionPolicy(
    margin=0.05, guardrails=(Guardrail("satisfaction@10", 0.02), Guardrail("coverage", 0.10))
)
IN_SERVICE = "itemknn.v1/r1"
CHAMPION = Contender(
    "itemknn", "itemknn.v1", {"ndcg@10": 0.20, "satisfaction@10": 0.60, "coverage": 0.30}
)


def challenger(**metrics: float | None) -> Contender:
    figures: dict[str, float | None] = {"ndcg@10": 0.22, "satisfaction@10": 0.60, "coverage": 0.3}
    return Contender("ease", "ease.v1", {**figures, **metrics})


def test_nothing_in_service_promotes_the_first_model() -> None:
    decision = decide(challenger(), None, POLICY, in_service=None)
    assert decision.promote and decision.reason == NO_CHAMPION and decision.checks == ()


def test_a_challenger_above_the_margin_is_promoted_with_its_figures() -> None:
    decision = decide(challenger(), CHAMPION, POLICY, in_service=IN_SERVICE)
    assert decision.promote
    assert decision.reason.startswith("ease beats the model in service: ndcg@10 0.2200 >= 0.2100")
    primary = decision.checks[0]
    assert (primary.metric, primary.champion, primary.role) == ("ndcg@10", 0.20, "primary")
    assert primary.needed == pytest.approx(0.21)
    assert decision.as_dict()["in_service"] == IN_SERVICE and decision.as_dict()["promoted"]


@pytest.mark.parametrize(
    ("ndcg", "margin", "promoted"),
    [
        (0.2099, 0.05, False),  # better, but within the margin
        (0.21, 0.05, True),  # exactly the margin
        (0.20, 0.0, True),  # a tie passes only without a margin
        (0.20, 0.01, False),
        (0.19, 0.0, False),
    ],
)
def test_the_margin_is_relative_to_the_model_in_service(
    ndcg: float, margin: float, promoted: bool
) -> None:
    policy = PromotionPolicy(margin=margin, guardrails=POLICY.guardrails)
    decision = decide(challenger(**{"ndcg@10": ndcg}), CHAMPION, policy, in_service=IN_SERVICE)
    assert decision.promote is promoted
    if not promoted:
        assert decision.reason.startswith("ease is not promoted: ndcg@10")


@pytest.mark.parametrize(
    ("metric", "value", "promoted"),
    [
        ("satisfaction@10", 0.588, True),  # 0.60 x 0.98: at the floor
        ("satisfaction@10", 0.58, False),
        ("coverage", 0.27, True),
        ("coverage", 0.26, False),
        ("coverage", None, False),  # measured in service, not for the challenger
        ("coverage", math.nan, False),
    ],
)
def test_a_guardrail_that_falls_blocks_a_more_accurate_model(
    metric: str, value: float | None, promoted: bool
) -> None:
    decision = decide(challenger(**{metric: value}), CHAMPION, POLICY, in_service=IN_SERVICE)
    assert decision.promote is promoted
    if not promoted:
        assert f"{metric} " in decision.reason and "ndcg@10" not in decision.reason
        failed = [c for c in decision.checks if not c.passed]
        assert [(c.metric, c.role) for c in failed] == [(metric, "guardrail")]


def test_a_guardrail_not_measured_in_service_is_skipped() -> None:
    no_truth = Contender("itemknn", "itemknn.v1", {"ndcg@10": 0.20, "coverage": 0.30})
    decision = decide(challenger(), no_truth, POLICY, in_service=IN_SERVICE)
    assert decision.promote
    skipped = next(c for c in decision.checks if c.metric == "satisfaction@10")
    assert skipped.passed and skipped.champion is None and skipped.needed is None


def test_the_champion_s_own_configuration_is_a_refresh_whatever_the_margin() -> None:
    same = Contender("itemknn", "itemknn.v1", dict(CHAMPION.metrics))
    strict = PromotionPolicy(margin=0.5)
    decision = decide(same, CHAMPION, strict, in_service=IN_SERVICE)
    assert decision.promote and "same configuration" in decision.reason
    # Same label, another model version: a different model, compared as any other.
    other = Contender("itemknn", "itemknn.v2", dict(CHAMPION.metrics))
    assert not decide(other, CHAMPION, strict, in_service=IN_SERVICE).promote


@pytest.mark.parametrize("missing", [None, math.nan])
def test_a_missing_primary_metric_never_promotes(missing: float | None) -> None:
    mine = decide(challenger(**{"ndcg@10": missing}), CHAMPION, POLICY, in_service=IN_SERVICE)
    assert not mine.promote and mine.reason == "the challenger (ease) has no ndcg@10"
    theirs = Contender("itemknn", "itemknn.v1", {"ndcg@10": missing})
    decision = decide(challenger(), theirs, POLICY, in_service=IN_SERVICE)
    assert not decision.promote and decision.reason.endswith(f"({IN_SERVICE}) has no ndcg@10")


def test_a_champion_that_could_not_be_measured_leaves_it_to_a_person() -> None:
    decision = decide(
        challenger(), None, POLICY, in_service=IN_SERVICE, champion_problem="no factory"
    )
    assert not decision.promote
    assert decision.reason == (
        f"the model in service ({IN_SERVICE}) could not be measured on this run's split: "
        "no factory; promote by hand if wanted"
    )


def test_no_promote_and_no_gate_bypass_the_rule() -> None:
    worse = ModelResult("popularity", "mostpopular.v1", 0.0, 0.0, {"ndcg@10": 0.01})
    champion = Champion(IN_SERVICE, "its configuration", CHAMPION)
    assert gate_decision(worse, champion, POLICY, in_service=IN_SERVICE).promote is False
    forced = gate_decision(worse, champion, POLICY, in_service=IN_SERVICE, gate=False)
    assert forced.promote and forced.in_service == IN_SERVICE and "--no-gate" in forced.reason
    told = gate_decision(worse, None, POLICY, in_service=None, promote=False, gate=False)
    assert not told.promote and "--no-promote" in told.reason


def test_the_policy_refuses_fractions_out_of_range() -> None:
    with pytest.raises(ValueError, match="margin must be between 0 and 1"):
        PromotionPolicy(margin=-0.01)
    with pytest.raises(ValueError, match="coverage guardrail's tolerance"):
        Guardrail("coverage", 1.5)


def test_the_settings_configure_the_gate_and_a_wrong_one_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PHILOMATH_PROMOTION_MARGIN", "0.03")
    monkeypatch.setenv("PHILOMATH_PROMOTION_COVERAGE_TOLERANCE", "0.5")
    policy = promotion_policy(Settings())
    assert policy.margin == 0.03
    assert {g.metric: g.tolerance for g in policy.guardrails} == {
        "satisfaction@10": 0.02,
        "coverage": 0.5,
    }
    monkeypatch.setenv("PHILOMATH_PROMOTION_MARGIN", "-1")
    monkeypatch.setenv("PHILOMATH_PROMOTION_SATISFACTION_TOLERANCE", "lots")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert settings_problems(refused.value) == [
        "PHILOMATH_PROMOTION_MARGIN: Input should be greater than or equal to 0",
        "PHILOMATH_PROMOTION_SATISFACTION_TOLERANCE: Input should be a valid number, "
        "unable to parse string as a number",
    ]
