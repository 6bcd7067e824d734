"""The HTML evaluation report from hand-made results."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recommender.evaluation.protocol import ModelResult
from recommender.evaluation.report import EvaluationReport, measured_cutoffs, write_report


def _result(label: str, level: float, satisfaction: bool = True) -> ModelResult:
    metrics = {
        f"{name}@{k}": level / k for name in ("precision", "recall", "ndcg", "map")
        for k in (1, 5, 10, 20)
    }  # fmt: skip
    if satisfaction:
        metrics |= {f"satisfaction@{k}": 0.3 + level / 2 for k in (1, 5, 10, 20)}
    metrics |= {"coverage": level / 3, "novelty": 3.0 + level, "popularity_bias": 0.9 - level}
    segments = {"new": {"users": 3.0, "ndcg@10": level / 12}, "heavy": {"users": 9.0}}
    return ModelResult(label, f"{label}.v1", 0.5, 0.1, metrics, segments)


def test_the_report_holds_every_model_plot_and_fact(tmp_path: Path) -> None:
    results = [_result("popularity", 0.1), _result("ease", 0.6), _result("a<b", 0.4)]
    path = write_report(
        tmp_path / "sub" / "run.html",
        EvaluationReport(
            "Training report", results, facts={"data fingerprint": "abc123"}, chosen="ease"
        ),
    )
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count("<svg") == 4 and "<?xml" not in page  # inline, self-contained
    assert "<script" not in page
    assert not re.search(r'(src|href)="https?:', page)  # nothing to fetch
    for label in ("popularity", "ease", "a&lt;b"):  # escaped in tables and plots
        assert f"<td>{label}</td>" in page
    assert '<tr class="chosen"><td>ease</td>' in page
    assert "abc123" in page and "satisfaction@10" in page
    assert "Metrics by k" in page and "<th>ndcg@20</th>" in page
    assert not list(path.parent.glob(".*.tmp"))


def test_without_satisfaction_the_section_is_left_out(tmp_path: Path) -> None:
    results = [_result("popularity", 0.1, satisfaction=False), _result("ials", 0.3, False)]
    page = write_report(tmp_path / "r.html", EvaluationReport("r", results)).read_text()
    assert page.count("<svg") == 3 and "Listener satisfaction" not in page


def test_cutoffs_are_those_every_model_has_and_a_report_needs_results(tmp_path: Path) -> None:
    partial = ModelResult("x", "x.v1", 0, 0, {"ndcg@10": 1.0, "precision@10": 1.0}, {})
    assert measured_cutoffs([_result("a", 0.2)]) == [1, 5, 10, 20]
    assert measured_cutoffs([_result("a", 0.2), partial]) == []
    with pytest.raises(ValueError, match="at least one"):
        write_report(tmp_path / "r.html", EvaluationReport("r", []))
