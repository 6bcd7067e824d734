"""Declarations: JSON and TOML, clear errors, and a started experiment is immutable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recommender.experiments.config import (
    ExperimentConfigError,
    find,
    load_experiments,
    parse_experiments,
)

DECLARED: dict[str, Any] = {
    "experiments": [
        {
            "name": "ranker",
            "salt": "s1",
            "status": "running",
            "started_at": "2026-11-01T00:00:00Z",
            "variants": [
                {"name": "control", "weight": 1},
                {
                    "name": "ease",
                    "weight": 1,
                    "overrides": {"model_version": "ease-7", "rerank.diversity": "0.3"},
                },
            ],
            "primary_metric": "completion_rate",
            "guardrails": [{"metric": "skip_rate", "max_relative_harm": 0.05}],
        }
    ]
}

TOML = """
[[experiments]]
name = "ranker"
salt = "s1"
variants = [{name = "control", weight = 1}, {name = "ease", weight = 3}]
"""


def _write(path: Path, declared: dict[str, Any]) -> Path:
    path.write_text(json.dumps(declared), encoding="utf-8")
    return path


def test_json_and_toml_declare_the_same_things(tmp_path: Path) -> None:
    (exp,) = load_experiments(_write(tmp_path / "experiments.json", DECLARED))
    assert exp.control.name == "control"
    assert exp.variants[1].overrides["model_version"] == "ease-7"
    assert exp.guardrails[0].metric == "skip_rate"
    (draft,) = parse_experiments(TOML, toml=True)
    assert draft.status == "draft" and draft.variants[1].weight == 3


def test_no_file_declares_nothing(tmp_path: Path) -> None:
    assert load_experiments(tmp_path / "missing.json") == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"variants": [{"name": "only", "weight": 1}]}, "variants"),
        ({"primary_metric": "revenue"}, "primary_metric"),
        ({"started_at": None}, "needs started_at"),
        ({"variants": [{"name": "a", "weight": 1}, {"name": "a", "weight": 1}]}, "repeat"),
    ],
)
def test_a_bad_declaration_is_one_clear_line(change: dict[str, object], message: str) -> None:
    declared = {"experiments": [{**DECLARED["experiments"][0], **change}]}
    with pytest.raises(ExperimentConfigError, match=message) as raised:
        parse_experiments(json.dumps(declared))
    assert "\n" not in str(raised.value)


def test_a_started_experiment_cannot_change(tmp_path: Path) -> None:
    path = _write(tmp_path / "experiments.json", DECLARED)
    load_experiments(path)  # records the started definition
    reweighted = json.loads(json.dumps(DECLARED))
    reweighted["experiments"][0]["variants"][1]["weight"] = 3
    _write(path, reweighted)
    with pytest.raises(ExperimentConfigError, match="has started"):
        load_experiments(path)
    resalted = json.loads(json.dumps(DECLARED))
    resalted["experiments"][0]["salt"] = "s2"
    _write(path, resalted)
    with pytest.raises(ExperimentConfigError, match="has started"):
        load_experiments(path)
    # What does not decide assignment may change (stopping it, its guardrails).
    stopped = json.loads(json.dumps(DECLARED))
    stopped["experiments"][0]["status"] = "stopped"
    stopped["experiments"][0]["guardrails"] = []
    _write(path, stopped)
    assert load_experiments(path)[0].status == "stopped"


def test_a_draft_may_change_until_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "experiments.toml"
    path.write_text(TOML, encoding="utf-8")
    load_experiments(path)
    path.write_text(TOML.replace("weight = 3", "weight = 2"), encoding="utf-8")
    assert load_experiments(path)[0].variants[1].weight == 2


def test_an_unknown_experiment_names_the_known_ones() -> None:
    experiments = parse_experiments(json.dumps(DECLARED))
    with pytest.raises(ExperimentConfigError, match="known: ranker"):
        find(experiments, "nope")


def test_a_lock_that_cannot_be_written_is_one_clear_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "experiments.json", DECLARED)
    (tmp_path / ".experiments.json.lock.json.tmp").mkdir()  # in the way, even for root
    with pytest.raises(ExperimentConfigError, match="^cannot record started experiments in"):
        load_experiments(path)
