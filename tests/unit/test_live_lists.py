"""Lists computed at request time for listeners without a stored list: the model folds their
history in, the list is kept until the history changes, and every way it cannot answer is
counted while the charts do."""

from __future__ import annotations

from dataclasses import replace

import pytest
import scipy.sparse as sp

from recommender.batch.live_lists import LiveLists, LiveModel
from recommender.batch.promoted_model import ModelLists
from recommender.data.sparse import user_items_matrix
from recommender.models.ease import EASEModel
from recommender.serving.router import RecommendationRequest, Router
from recommender.storage.profiles import UserProfile
from recommender.storage.recommendations import POPULAR_USER
from telemetry import NullMetrics
from telemetry.prometheus import PrometheusMetrics
from tests.unit.router_fakes import DictCatalog, DictProfiles, DictStore, SwitchCache, rlist, track
from tests.unit.test_batch import TRACKS, _interactions, _popularity
from tests.unit.test_batch_fold_in import JAZZ, _listener


class Outcomes(NullMetrics):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def live_list(self, outcome: str) -> None:
        self.seen.append(outcome)


def _model(version_run: str = "ease.v1/r1", *, personal: bool = True) -> LiveModel:
    plays = _interactions()
    matrix = user_items_matrix(plays)
    model = EASEModel(l2=1.0).fit(matrix) if personal else _popularity(plays)
    lists = ModelLists(model, sp.csr_matrix((0, matrix.shape[1])))
    return LiveModel(lists, tuple(str(t) for t in plays.track_ids), version_run)


class Loader:
    def __init__(self, *models: LiveModel | None) -> None:
        self.models, self.loads = list(models), 0

    def __call__(self) -> LiveModel | None:
        self.loads += 1
        return self.models[min(self.loads, len(self.models)) - 1]


def _live(loader: Loader, ref: list[str], now: list[float], **kwargs: object) -> LiveLists:
    return LiveLists(loader, lambda: ref[0], clock=lambda: now[0], **kwargs)  # type: ignore[arg-type]


def test_a_listener_the_model_never_saw_gets_the_models_list() -> None:
    outcomes = Outcomes()
    live = LiveLists(Loader(_model()), lambda: "ease.v1/r1", per_user=5, metrics=outcomes)
    listener = replace(_listener("alexa-x", ["t01", "t02", "t03"]), disliked_track_ids=("t04",))
    found = live.list_for(listener)
    assert found is not None
    assert (found.user_id, found.context, found.model_version) == ("alexa-x", "all", "ease.v1")
    assert len(found.track_ids) == 5 and set(found.track_ids[:2]) <= JAZZ
    assert not {"t01", "t02", "t03", "t04"} & set(found.track_ids)  # heard, disliked
    assert list(found.scores) == sorted(found.scores, reverse=True)
    assert outcomes.seen == ["served"]


def test_the_list_is_kept_until_the_history_changes() -> None:
    loader = Loader(_model())
    live = _live(loader, ["ease.v1/r1"], [0.0])
    listener = _listener("alexa-x", ["t01", "t02"])
    first = live.list_for(listener)
    assert first is not None and live.list_for(listener) is first  # cached, not recomputed
    skipped = _listener("alexa-x", ["t01", "t02", "t16"], skipped=["t16"])
    again = live.list_for(skipped)
    assert again is not None and again is not first and "t16" not in again.track_ids
    assert loader.loads == 1


def test_another_promotion_loads_the_new_model_after_the_refresh() -> None:
    loader = Loader(_model("ease.v1/r1"), _model("ease.v1/r2"))
    ref, now = ["ease.v1/r1"], [0.0]
    live = _live(loader, ref, now, refresh_s=30.0)
    listener = _listener("alexa-x", ["t01", "t02"])
    assert live.warm() and loader.loads == 1
    ref[0] = "ease.v1/r2"
    live.list_for(listener)
    assert loader.loads == 1  # not checked again before refresh_s
    now[0] = 31.0
    live.list_for(listener)
    assert loader.loads == 2


@pytest.mark.parametrize(
    ("loader", "listener", "outcome"),
    [
        (Loader(None), _listener("a", ["t01", "t02"]), "no_model"),
        (Loader(_model(personal=False)), _listener("a", ["t01", "t02"]), "model_not_personal"),
        (Loader(_model()), _listener("a", ["new-1", "new-2"]), "no_history"),
        (Loader(_model()), _listener("a", ["t01", "new-2"]), "too_little_history"),
        (Loader(_model()), _listener("a", ["t01", "t02"], skipped=["t02"]), "too_little_history"),
    ],
)
def test_the_charts_answer_and_the_reason_is_counted(
    loader: Loader, listener: UserProfile, outcome: str
) -> None:
    outcomes = Outcomes()
    live = LiveLists(loader, lambda: "ease.v1/r1", min_tracks=2, metrics=outcomes)
    assert live.list_for(listener) is None
    assert outcomes.seen == [outcome]


def test_a_failure_never_reaches_the_request() -> None:
    def broken() -> LiveModel:
        raise OSError("model file gone")

    outcomes = Outcomes()
    live = LiveLists(broken, lambda: "x", metrics=outcomes)
    assert not live.warm()
    live = LiveLists(broken, lambda: "x", metrics=outcomes)
    assert live.list_for(_listener("a", ["t01", "t02"])) is None
    assert outcomes.seen == ["failed"]


def test_the_router_serves_a_live_list_on_the_personalized_path() -> None:
    store = DictStore([rlist(POPULAR_USER, "all", "t18", "t17", "t16")])
    voice = replace(_listener("alexa-x", ["t01", "t02", "t03", "t05", "t06"]), play_count=5)
    catalog = DictCatalog({t.track_id: track(t.track_id, t.genre or "") for t in TRACKS})
    live = LiveLists(Loader(_model()), lambda: "ease.v1/r1")
    router = Router(store, DictProfiles(voice), SwitchCache(), catalog=catalog, live=live)  # type: ignore[arg-type]

    answer = router.recommend(RecommendationRequest("alexa-x", n=3))
    assert (answer.path, answer.model_version) == ("personalized", "ease.v1")
    assert set(answer.track_ids) <= JAZZ and not answer.degraded
    narrowed = router.recommend(RecommendationRequest("alexa-x", genre="jazz", n=2))
    assert narrowed.path == "personalized" and set(narrowed.track_ids) <= JAZZ

    loader = Loader(_model())
    warmed = Router(store, DictProfiles(voice), SwitchCache(), live=LiveLists(loader, lambda: "r1"))
    warmed.warm()
    assert loader.loads == 1  # at start, not at the first request

    without = Router(store, DictProfiles(voice), SwitchCache(), catalog=catalog)  # type: ignore[arg-type]
    charts = without.recommend(RecommendationRequest("alexa-x", n=3))
    assert charts.path == "popular" and charts.model_version != "ease.v1"


def test_the_counts_reach_prometheus() -> None:
    metrics = PrometheusMetrics()
    live = LiveLists(Loader(_model()), lambda: "ease.v1/r1", metrics=metrics)
    live.list_for(_listener("a", ["t01", "t02"]))
    live.list_for(_listener("b", ["new-1"]))
    metrics.batch_listeners(3, {"no_history": 2})

    def count(name: str, outcome: str) -> float:
        return metrics.registry.get_sample_value(name, {"outcome": outcome}) or 0.0

    assert count("philomath_live_lists_total", "served") == 1
    assert count("philomath_live_lists_total", "no_history") == 1
    assert count("philomath_batch_unknown_listeners_total", "folded") == 3
    assert count("philomath_batch_unknown_listeners_total", "no_history") == 2
