"""Experiments on the serving path: a variant's model version and re-ranker apply to its
listeners' requests, and an answer names the variants that actually served it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pytest

from recommender.errors import PosteriorStoreUnavailable
from recommender.experiments.assignment import ConfiguredAssigner
from recommender.experiments.config import Experiment, ExperimentConfigError
from recommender.serving.bandit import BanditConfig, StaticRanking
from recommender.serving.experiments import MAX_RUNNING, ServingExperiments, needs_posteriors
from recommender.serving.router import RecommendationRequest, Router, RouterConfig
from recommender.storage.posteriors import Posterior
from recommender.storage.recommendations import (
    BASE_SNAPSHOT,
    POPULAR_USER,
    SnapshotPointer,
    experiment_snapshot_entry,
    snapshot_model,
)
from tests.unit.router_fakes import DictCatalog, DictProfiles, DictStore, SwitchCache, rlist, track

NOW = 1_800_000_000.0
CURRENT = "ials.v1.20261201T000000000000Z"
STAGED = "ease.v1.20261201T010000000000Z"
LISTENERS = [f"usr-{i}" for i in range(200)]


def experiment(
    overrides: Sequence[Mapping[str, str]], name: str = "exp", status: str = "running"
) -> Experiment:
    return Experiment.model_validate(
        {
            "name": name,
            "salt": f"{name}-salt",
            "status": status,
            "started_at": datetime(2026, 12, 1, tzinfo=UTC),
            "variants": [
                {"name": n, "weight": 1, "overrides": dict(o)}
                for n, o in zip(("control", "treatment"), overrides, strict=True)
            ],
        }
    )


class Posteriors:
    """A posterior store that favours the last track of every list, or is down."""

    def __init__(self) -> None:
        self.down = False

    def read(self, context: str, track_ids: Sequence[str]) -> dict[str, Posterior]:
        if self.down:
            raise PosteriorStoreUnavailable("down")
        return {t: Posterior(1.0, 1000.0, NOW) for t in track_ids[:-1]} | {
            track_ids[-1]: Posterior(1000.0, 1.0, NOW)
        }


@pytest.fixture
def store() -> DictStore:
    store = DictStore()
    store.put([rlist(POPULAR_USER, "all", "p1", "p2", "p3", version="ials.v1")], CURRENT)
    store.put([rlist(POPULAR_USER, "all", "e1", "e2", "e3", version="ease.v1")], STAGED)
    store.pointer = SnapshotPointer(CURRENT, None, NOW)
    return store


def router(
    store: DictStore, experiments: ServingExperiments | None, cache: SwitchCache | None = None
) -> Router:
    tracks = {t: track(t, "pop") for t in ("p1", "p2", "p3", "e1", "e2", "e3")}
    return Router(
        store, DictProfiles(), cache or SwitchCache(), catalog=DictCatalog(tracks),  # type: ignore[arg-type]
        config=RouterConfig(snapshot_refresh_s=0.0), clock=lambda: NOW,
        experiments=experiments,
    )  # fmt: skip


def serving(*experiments: Experiment, posteriors: Posteriors | None = None) -> ServingExperiments:
    return ServingExperiments(experiments, bandit=BanditConfig(top_k=3), posteriors=posteriors)


def variant_of(exp: Experiment, listener: str) -> str | None:
    found = ConfiguredAssigner([exp]).assign(listener)
    return found[0].variant if found else None


def test_a_variant_s_model_version_serves_the_lists_staged_for_it(store: DictStore) -> None:
    exp = experiment([{"model_version": "ials.v1"}, {"model_version": "ease.v1"}])
    store.put([experiment_snapshot_entry("ease.v1", STAGED, NOW)], BASE_SNAPSHOT)
    served = router(store, serving(exp))
    for listener in LISTENERS[:40]:
        answer = served.recommend(RecommendationRequest(listener, n=3))
        variant = variant_of(exp, listener)
        assert answer.experiments == (("exp", variant),)
        assert answer.model_version == ("ease.v1" if variant == "treatment" else "ials.v1")


def test_a_model_version_without_lists_serves_the_default_unexposed(store: DictStore) -> None:
    exp = experiment([{}, {"model_version": "ease.v1"}])  # nothing registered for ease.v1
    served = router(store, serving(exp))
    for listener in LISTENERS[:40]:
        answer = served.recommend(RecommendationRequest(listener, n=3))
        assert answer.model_version == "ials.v1"
        exposed = variant_of(exp, listener) == "control"
        assert answer.experiments == ((("exp", "control"),) if exposed else ())


def test_the_bandit_variant_re_ranks_and_the_control_serves_as_ranked(store: DictStore) -> None:
    exp = experiment([{"bandit": "off"}, {"bandit": "on", "bandit_exploration": "0"}])
    posteriors = Posteriors()
    served = router(store, serving(exp, posteriors=posteriors))
    seen = set()
    for listener in LISTENERS[:40]:
        answer = served.recommend(RecommendationRequest(listener, n=3))
        variant = variant_of(exp, listener)
        seen.add(variant)
        assert answer.experiments == (("exp", variant),)
        expected = ("p3", "p1", "p2") if variant == "treatment" else ("p1", "p2", "p3")
        assert answer.track_ids == expected
    assert seen == {"control", "treatment"}
    posteriors.down = True  # the treatment's order is then not the bandit's: not exposed
    treated = next(u for u in LISTENERS if variant_of(exp, u) == "treatment")
    assert served.recommend(RecommendationRequest(treated, n=3)).experiments == ()
    # A re-ranker the caller passes wins: no variant of a re-ranker experiment served.
    assert served.recommend(RecommendationRequest(treated), StaticRanking()).experiments == ()


def test_answers_from_the_in_process_charts_expose_nobody(store: DictStore) -> None:
    exp = experiment([{}, {"bandit": "off"}])
    cache = SwitchCache()
    served = router(store, serving(exp), cache)
    assert served.recommend(RecommendationRequest("usr-1")).experiments  # charts in memory now
    store.down = cache.down = True
    answer = served.recommend(RecommendationRequest("usr-2"))
    assert answer.track_ids and "memory" in answer.causes
    assert answer.experiments == ()


def test_listeners_outside_the_traffic_share_are_in_no_experiment(store: DictStore) -> None:
    exp = experiment([{}, {"bandit": "off"}]).model_copy(update={"traffic": 0.5})
    served = router(store, serving(exp))
    outside = [u for u in LISTENERS if variant_of(exp, u) is None]
    assert 60 < len(outside) < 140
    for listener in outside[:20]:
        assert served.recommend(RecommendationRequest(listener)).experiments == ()


def test_drafts_and_stopped_experiments_serve_nothing(store: DictStore) -> None:
    draft = experiment([{}, {"bandit": "off"}], status="draft")
    assert not serving(draft).running
    served = router(store, serving(draft))
    assert served.recommend(RecommendationRequest("usr-1")).experiments == ()


@pytest.mark.parametrize(
    ("experiments", "message"),
    [
        ([experiment([{}, {"ranker": "x"}])], "unknown overrides ['ranker']"),
        ([experiment([{}, {"bandit": "maybe"}])], "bandit must be 'on' or 'off'"),
        ([experiment([{}, {"bandit": "off", "bandit_blend": "1"}])], "'off' with bandit settings"),
        ([experiment([{}, {"bandit_top_k": "many"}])], "invalid literal"),
        ([experiment([{}, {"bandit_exploration": "0.9"}])], "at most 0.5"),
        ([experiment([{}, {"bandit_blend": "2"}])], "blend must be within"),
        ([experiment([{}, {"model_version": "a/b"}])], "is not a model version"),
        (
            [experiment([{}, {"bandit": "off"}], "a"), experiment([{"bandit": "on"}, {}], "b")],
            "experiments 'a' and 'b' both change the re-ranker",
        ),
        (
            [experiment([{}, {"bandit": "off"}], f"e{i}") for i in range(MAX_RUNNING + 1)],
            f"at most {MAX_RUNNING} may run at once",
        ),
    ],
)
def test_wrong_overrides_are_refused_in_one_line(
    experiments: list[Experiment], message: str
) -> None:
    with pytest.raises(ExperimentConfigError, match="^[^\n]+$") as refused:
        serving(*experiments, posteriors=Posteriors())
    assert message in str(refused.value)


def test_a_bandit_variant_needs_the_posterior_store() -> None:
    exp = experiment([{}, {"bandit": "on"}])
    assert needs_posteriors([exp])
    assert not needs_posteriors([experiment([{}, {"bandit": "off"}])])
    assert not needs_posteriors([experiment([{}, {"bandit": "on"}], status="draft")])
    with pytest.raises(ExperimentConfigError, match="needs its posterior store"):
        serving(exp)


def test_snapshot_ids_name_their_model() -> None:
    assert snapshot_model(CURRENT) == "ials.v1"
    assert snapshot_model(BASE_SNAPSHOT) is None
    assert snapshot_model("ials.v1.s2") is None
