"""The Last.fm protocol and its table on a small generated HetRec directory (``philomath
evaluate`` is tested in tests/integration/test_cli.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.evaluation.lastfm_protocol import (
    BEST_MODEL,
    DEFAULT_MODELS,
    MODELS,
    evaluate_lastfm,
    select_models,
)
from recommender.evaluation.lastfm_report import format_table
from tests.unit.lastfm_files import synthetic_plays, write_lastfm


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    # Users 1-40 have 6-12 artists; the fixture's own users have fewer than 5 and drop out.
    return write_lastfm(tmp_path / "lastfm", plays=synthetic_plays() + [(900, 10, 3)])


def test_protocol_filters_users_holds_out_a_fifth_and_scores_every_model(data_dir: Path) -> None:
    run = evaluate_lastfm(data_dir, seed=0, models=["popularity", "itemknn", BEST_MODEL], k=5)
    assert run.users == 40
    assert run.test_interactions == pytest.approx(
        0.2 * (run.train_interactions + run.test_interactions), rel=0.2
    )
    assert [r.label for r in run.results] == ["popularity", "itemknn", BEST_MODEL]
    by_label = {r.label: r for r in run.results}
    for result in run.results:
        assert set(result.metrics) >= {"precision@5", "recall@5", "ndcg@5", "map@5", "coverage"}
        assert 0 <= result.metrics["ndcg@5"] <= 1 and result.fit_seconds >= 0
        assert sum(s["users"] for s in result.segments.values()) == 40
    # Two disjoint taste groups: personal models beat the global chart by a wide margin.
    assert by_label["itemknn"].metrics["ndcg@5"] > by_label["popularity"].metrics["ndcg@5"] + 0.1


def test_protocol_is_seeded(data_dir: Path) -> None:
    first = evaluate_lastfm(data_dir, seed=3, models=["itemknn"])
    again = evaluate_lastfm(data_dir, seed=3, models=["itemknn"])
    other = evaluate_lastfm(data_dir, seed=4, models=["itemknn"])
    assert first.results[0].metrics == again.results[0].metrics
    assert first.results[0].metrics != other.results[0].metrics


def test_model_selection() -> None:
    assert "ease-full" in MODELS and "ease-full" not in DEFAULT_MODELS
    assert list(select_models(None)) == list(DEFAULT_MODELS)
    with pytest.raises(KeyError, match="unknown model"):
        select_models(["popularity", "nope"])


def test_the_run_as_json_and_as_a_table(data_dir: Path) -> None:
    run = evaluate_lastfm(data_dir, seed=1, models=["popularity", "rp3beta"])
    report = json.loads(json.dumps(run.as_dict()))
    assert report["dataset"] == "lastfm-2k" and report["seed"] == 1
    assert [r["label"] for r in report["results"]] == ["popularity", "rp3beta"]
    assert "ndcg@10" in report["results"][0]["metrics"]
    table = format_table(run)
    assert "NDCG@10" in table and "rp3beta.v1" in table


def test_importing_the_report_loads_no_numerical_library() -> None:
    # The project CLI imports it on the online path, where numpy is not installed.
    script = (
        "import sys, recommender.evaluation.lastfm_report\n"
        "loaded = [m for m in ('numpy', 'scipy', 'implicit') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
