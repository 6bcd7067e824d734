"""The promotion gate's rule: does a training run's best candidate replace the model in service?

Pure: figures in, a ``PromotionDecision`` out. Which figures are compared, and why they are
fair, is ``champion``'s business: the challenger (the run's best candidate) and the champion
(the in-service model's configuration) are measured on the same held-out split, the same
listeners and the same candidate tracks. ``decide`` then promotes when:

- nothing is in service ("no model in service": the first model ever); or
- the challenger is the champion's own configuration (same candidate, same model version):
  their figures on the split are one and the same, so there is nothing to compare, and the
  new artifact is the same recipe fitted on newer plays (a refresh); or
- the challenger's primary metric (``PromotionPolicy.metric``, NDCG@10 on held-out plays)
  reaches the champion's times ``1 + margin`` (a relative margin: NDCG's scale depends on the
  data set, a relative margin means the same on each; ties pass only at margin 0), and no
  guardrail falls: each guardrail metric (listener satisfaction, catalog coverage; higher is
  better) must stay at or above the champion's times ``1 - tolerance``.

It does not promote, and says why with the figures, when the challenger falls short of the
margin, breaks a guardrail, lacks the primary metric, or when the champion could not be
measured on the split (then a person decides: ``philomath models promote``). A guardrail
neither model has (satisfaction without the generator's truth) is skipped; one the champion
has and the challenger lacks fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PRIMARY_METRIC = "ndcg@10"
SATISFACTION = "satisfaction@10"
COVERAGE = "coverage"
NO_CHAMPION = "no model in service"


def _check_fraction(what: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{what} must be between 0 and 1 (a fraction), not {value}")


@dataclass(frozen=True, slots=True)
class Guardrail:
    """``metric`` (higher is better) may fall at most ``tolerance`` (relative) below the
    champion's."""

    metric: str
    tolerance: float

    def __post_init__(self) -> None:
        _check_fraction(f"the {self.metric} guardrail's tolerance", self.tolerance)


@dataclass(frozen=True, slots=True)
class PromotionPolicy:
    """What a challenger must show to replace the model in service; see the module docstring."""

    metric: str = PRIMARY_METRIC
    margin: float = 0.01  # relative: 0.01 = at least 1% above the champion
    guardrails: tuple[Guardrail, ...] = (Guardrail(SATISFACTION, 0.02), Guardrail(COVERAGE, 0.10))

    def __post_init__(self) -> None:
        _check_fraction("the promotion margin", self.margin)

    @classmethod
    def of(
        cls, margin: float, satisfaction_tolerance: float, coverage_tolerance: float
    ) -> PromotionPolicy:
        """The default metrics with these bars (the ``PHILOMATH_PROMOTION_*`` settings)."""
        guardrails = (
            Guardrail(SATISFACTION, satisfaction_tolerance),
            Guardrail(COVERAGE, coverage_tolerance),
        )
        return cls(margin=margin, guardrails=guardrails)

    def describe(self) -> str:
        """The rule in one line, for reports."""
        rules = [f"{self.metric} >= in service x {1 + self.margin:g}"]
        rules += [f"{g.metric} >= in service x {1 - g.tolerance:g}" for g in self.guardrails]
        return "; ".join(rules)


DEFAULT_POLICY = PromotionPolicy()


@dataclass(frozen=True, slots=True)
class Contender:
    """One side of the comparison: a model's figures on the shared held-out split."""

    label: str  # the training candidate, e.g. "ease"
    version: str  # the model's versioned name, e.g. "ease.v1"
    metrics: Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class Check:
    """One comparison the gate made: the challenger's figure against the bar it had to reach."""

    metric: str
    challenger: float | None
    champion: float | None
    needed: float | None  # the bar: champion x (1 + margin) or x (1 - tolerance)
    passed: bool
    role: str  # "primary" or "guardrail"

    def describe(self) -> str:
        if self.champion is None:
            return f"{self.metric} not measured in service: not checked"
        verdict = ">=" if self.passed else "<"
        return (
            f"{self.metric} {_f(self.challenger)} {verdict} {_f(self.needed)} needed "
            f"(in service {_f(self.champion)})"
        )


@dataclass(frozen=True, slots=True)
class PromotionDecision:
    """The gate's verdict, with its reason in words and the figures behind it."""

    promote: bool
    reason: str
    challenger: str = ""  # label of the run's best candidate
    in_service: str | None = None  # name/run of the model in service, None if none
    measured_as: str = ""  # how the in-service model was measured on the split
    policy: str = ""  # the rule applied (PromotionPolicy.describe)
    checks: tuple[Check, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the training summary and the pipeline's report."""
        return {
            "promoted": self.promote,
            "reason": self.reason,
            "challenger": self.challenger,
            "in_service": self.in_service,
            "measured_as": self.measured_as,
            "policy": self.policy,
            "checks": [
                {
                    "metric": c.metric,
                    "role": c.role,
                    "challenger": c.challenger,
                    "champion": c.champion,
                    "needed": c.needed,
                    "passed": c.passed,
                }
                for c in self.checks
            ],
        }


def decide(
    challenger: Contender,
    champion: Contender | None,
    policy: PromotionPolicy,
    *,
    in_service: str | None,
    champion_problem: str = "",
    measured_as: str = "",
) -> PromotionDecision:
    """The gate's verdict for ``challenger`` against ``champion``; see the module docstring.

    ``in_service`` is the promoted model's ``name/run`` (None when nothing is promoted);
    ``champion`` its figures on the split, or None with ``champion_problem`` saying why it
    could not be measured."""

    def verdict(promote: bool, reason: str, checks: tuple[Check, ...] = ()) -> PromotionDecision:
        return PromotionDecision(
            promote, reason, challenger.label, in_service, measured_as, policy.describe(), checks
        )

    if in_service is None:
        return verdict(True, NO_CHAMPION)
    if champion is None:
        return verdict(
            False,
            f"the model in service ({in_service}) could not be measured on this run's split: "
            f"{champion_problem or 'no reason given'}; promote by hand if wanted",
        )
    mine = _value(challenger.metrics, policy.metric)
    theirs = _value(champion.metrics, policy.metric)
    if mine is None:
        return verdict(False, f"the challenger ({challenger.label}) has no {policy.metric}")
    if theirs is None:
        return verdict(False, f"the model in service ({in_service}) has no {policy.metric}")
    if (challenger.label, challenger.version) == (champion.label, champion.version):
        return verdict(
            True,
            f"same configuration as the model in service ({champion.label}, {champion.version})"
            ", refitted on this run's plays",
        )
    needed = theirs * (1 + policy.margin)
    checks = [Check(policy.metric, mine, theirs, needed, _reaches(mine, needed), "primary")]
    checks += [_guardrail(g, challenger.metrics, champion.metrics) for g in policy.guardrails]
    failed = [c for c in checks if not c.passed]
    passed = [c for c in checks if c.champion is not None]
    if failed:
        reason = "; ".join(c.describe() for c in failed)
        return verdict(False, f"{challenger.label} is not promoted: {reason}", tuple(checks))
    reason = "; ".join(c.describe() for c in passed)
    return verdict(True, f"{challenger.label} beats the model in service: {reason}", tuple(checks))


def _guardrail(
    guardrail: Guardrail,
    challenger: Mapping[str, float | None],
    champion: Mapping[str, float | None],
) -> Check:
    theirs = _value(champion, guardrail.metric)
    mine = _value(challenger, guardrail.metric)
    if theirs is None:  # not measured in service (e.g. no generator truth): nothing to hold
        return Check(guardrail.metric, mine, None, None, True, "guardrail")
    needed = theirs * (1 - guardrail.tolerance)
    passed = mine is not None and _reaches(mine, needed)
    return Check(guardrail.metric, mine, theirs, needed, passed, "guardrail")


def _reaches(value: float, needed: float) -> bool:
    """``value >= needed``, a bar met to the last bits of float rounding included."""
    return value >= needed or math.isclose(value, needed, rel_tol=1e-9, abs_tol=1e-12)


def _value(metrics: Mapping[str, float | None], name: str) -> float | None:
    """The figure, None when absent or not measurable (NaN)."""
    value = metrics.get(name)
    return None if value is None or math.isnan(value) else float(value)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
