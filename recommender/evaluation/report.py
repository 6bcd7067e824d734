"""The evaluation report: one self-contained HTML file with inline SVG plots.

``write_report(path, EvaluationReport(...))`` renders what ``protocol.evaluate_split``
measured for several models: the figures at ``k`` side by side (table and bar chart), every
ranking metric by cutoff (k = 1, 5, 10, 20 when measured), listener satisfaction against the
baseline when measured, coverage / novelty / popularity bias, per-segment results and the
facts of the run (data fingerprint, split, chosen model). Plots are drawn with matplotlib's
object API into SVG (no display, no pyplot state), so nothing but the file is needed to read it.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from recommender.evaluation.protocol import ModelResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RANKING = ("precision", "recall", "ndcg", "map")
SATISFACTION = "satisfaction"
_CUTOFF = re.compile(r"^(?P<metric>[a-z_]+)@(?P<k>\d+)$")
_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;text-align:right;
border-bottom:1px solid #eee}th:first-child,td:first-child{text-align:left}
tr.chosen td{font-weight:600;background:#f3f8ff}.plot svg{max-width:100%;height:auto}
.note{color:#555;font-size:.9rem}code{font-size:.85rem}.wide{overflow-x:auto}
"""


@dataclass(frozen=True, slots=True)
class EvaluationReport:
    """What a report shows; ``results`` come from ``protocol.evaluate_split``."""

    title: str
    results: Sequence[ModelResult]
    k: int = 10
    facts: Mapping[str, str] = field(default_factory=dict)  # run, data, split: shown as is
    chosen: str | None = None  # label of the model the run selected (highlighted)
    baseline: str | None = "popularity"  # label every model is compared with
    notes: Sequence[str] = ()


def write_report(path: Path, report: EvaluationReport) -> Path:
    """Render ``report`` into ``path`` (parents created) and return the path."""
    if not report.results:
        raise ValueError("a report needs at least one model result")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_html(report), encoding="utf-8")
    tmp.replace(path)
    return path


def render_html(report: EvaluationReport) -> str:
    k = report.k
    results = list(report.results)
    cutoffs = measured_cutoffs(results)
    has_satisfaction = any(f"{SATISFACTION}@{k}" in r.metrics for r in results)
    sections = [
        f"<h1>{_e(report.title)}</h1>",
        f'<p class="note">Written {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC.</p>',
        _facts_table(report),
        *(f'<p class="note">{_e(note)}</p>' for note in report.notes),
        f"<h2>Models side by side at k={k}</h2>",
        _summary_table(report, has_satisfaction),
        _plot(_side_by_side(results, k)),
    ]
    if has_satisfaction:
        sections += [
            "<h2>Listener satisfaction</h2>",
            '<p class="note">Expected share of recommended tracks played to the end, from the '
            "generator's hidden truth of every listener's taste (evaluation only).</p>",
            _plot(_satisfaction_bars(results, k, report.baseline)),
        ]
    sections += [
        "<h2>Metrics by k</h2>",
        _by_k_table(results, cutoffs),
        _plot(_metrics_by_k(results, cutoffs)),
        "<h2>Coverage, novelty and popularity bias</h2>",
        _plot(_catalog_measures(results)),
        f"<h2>Per user segment at k={k}</h2>",
        _segments_table(results, k),
    ]
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(report.title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def measured_cutoffs(results: Sequence[ModelResult]) -> list[int]:
    """Cutoffs at which every result has all ranking metrics, ascending."""
    found: set[int] | None = None
    for result in results:
        cuts = {
            int(match["k"])
            for key in result.metrics
            if (match := _CUTOFF.match(key)) and match["metric"] in RANKING
        }
        cuts = {c for c in cuts if all(f"{m}@{c}" in result.metrics for m in RANKING)}
        found = cuts if found is None else found & cuts
    return sorted(found or ())


# -- tables -----------------------------------------------------------------------------------


def _facts_table(report: EvaluationReport) -> str:
    rows = dict(report.facts)
    if report.chosen:
        rows = {"chosen model": report.chosen, **rows}
    return _table(["", ""], [[key, value] for key, value in rows.items()], header=False)


def _summary_table(report: EvaluationReport, has_satisfaction: bool) -> str:
    k = report.k
    columns = [f"{m}@{k}" for m in RANKING] + ([f"{SATISFACTION}@{k}"] if has_satisfaction else [])
    columns += ["coverage", "novelty", "popularity_bias"]
    rows = [
        [r.label, r.version]
        + [_num(r.metrics.get(c)) for c in columns]
        + [f"{r.fit_seconds:.2f}", f"{r.recommend_seconds:.2f}"]
        for r in report.results
    ]
    chosen = [r.label == report.chosen for r in report.results]
    return _table(["model", "version", *columns, "fit s", "recommend s"], rows, chosen=chosen)


def _by_k_table(results: Sequence[ModelResult], cutoffs: Sequence[int]) -> str:
    families = _families(results, cutoffs)
    header = ["model"] + [f"{m}@{c}" for m in families for c in cutoffs]
    rows = [
        [r.label] + [_num(r.metrics.get(f"{m}@{c}")) for m in families for c in cutoffs]
        for r in results
    ]
    return _table(header, rows)


def _segments_table(results: Sequence[ModelResult], k: int) -> str:
    keys = [f"{m}@{k}" for m in ("precision", "recall", "ndcg", SATISFACTION)]
    keys = [key for key in keys if any(key in s for r in results for s in r.segments.values())]
    rows = [
        [r.label, segment, _count(values.get("users"))] + [_num(values.get(key)) for key in keys]
        for r in results
        for segment, values in r.segments.items()
    ]
    return _table(["model", "segment", "users", *keys], rows)


def _table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    header: bool = True,
    chosen: Sequence[bool] = (),
) -> str:
    head = "<tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns) + "</tr>" if header else ""
    marked = ' class="chosen"'
    body = "".join(
        f"<tr{marked if i < len(chosen) and chosen[i] else ''}>"
        + "".join(f"<td>{_e(cell)}</td>" for cell in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    # Wide tables (every metric at every k) scroll inside their box, not the whole page.
    return f'<div class="wide"><table>{head}{body}</table></div>'


# -- plots ------------------------------------------------------------------------------------


def _side_by_side(results: Sequence[ModelResult], k: int) -> Figure:
    import numpy as np

    fig, ax = _figure(1, 1, width=9.0, height=3.6)
    (axis,) = ax
    width = 0.8 / len(RANKING)
    x = np.arange(len(results))
    for i, metric in enumerate(RANKING):
        values = [_value(r.metrics.get(f"{metric}@{k}")) for r in results]
        axis.bar(x + (i - (len(RANKING) - 1) / 2) * width, values, width, label=f"{metric}@{k}")
    axis.set_xticks(x, [r.label for r in results], rotation=20, ha="right")
    axis.set_ylabel("value")
    axis.set_title(f"Ranking metrics at k={k}")
    axis.legend(fontsize=8, ncols=len(RANKING))
    return fig


def _satisfaction_bars(results: Sequence[ModelResult], k: int, baseline: str | None) -> Figure:
    fig, ax = _figure(1, 1, width=9.0, height=3.2)
    (axis,) = ax
    labels = [r.label for r in results]
    values = [_value(r.metrics.get(f"{SATISFACTION}@{k}")) for r in results]
    colors = ["#999999" if label == baseline else "#3b75af" for label in labels]
    axis.bar(labels, values, color=colors)
    base = next((v for label, v in zip(labels, values, strict=True) if label == baseline), None)
    if base is not None:
        axis.axhline(base, color="#c44", linestyle="--", linewidth=1, label=f"{baseline}")
        axis.legend(fontsize=8)
    axis.set_ylim(0, 1)
    axis.set_ylabel(f"{SATISFACTION}@{k}")
    axis.set_title("Expected share of recommended tracks played to the end")
    axis.tick_params(axis="x", rotation=20)
    return fig


def _metrics_by_k(results: Sequence[ModelResult], cutoffs: Sequence[int]) -> Figure:
    families = _families(results, cutoffs)
    fig, axes = _figure(1, len(families), width=3.0 * len(families), height=3.2)
    for axis, metric in zip(axes, families, strict=True):
        for r in results:
            axis.plot(
                cutoffs, [_value(r.metrics.get(f"{metric}@{c}")) for c in cutoffs],
                marker="o", label=r.label,
            )  # fmt: skip
        axis.set_title(metric)
        axis.set_xlabel("k")
        axis.set_xticks(list(cutoffs))
    axes[0].legend(fontsize=7)
    return fig


def _catalog_measures(results: Sequence[ModelResult]) -> Figure:
    measures = ("coverage", "novelty", "popularity_bias")
    fig, axes = _figure(1, len(measures), width=10.0, height=3.2)
    labels = [r.label for r in results]
    for axis, measure in zip(axes, measures, strict=True):
        axis.bar(labels, [_value(r.metrics.get(measure)) for r in results], color="#5a9e6f")
        axis.set_title(measure.replace("_", " "))
        axis.tick_params(axis="x", rotation=30, labelsize=7)
    return fig


def _figure(rows: int, columns: int, *, width: float, height: float) -> tuple[Figure, list]:  # type: ignore[type-arg]
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel().tolist()
    return fig, axes


def _plot(fig: Figure) -> str:
    """The figure as inline SVG (no XML prolog), deterministic for the same data."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "philomath", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    return f'<div class="plot">{svg[svg.index("<svg") :]}</div>'


# -- small helpers ----------------------------------------------------------------------------


def _families(results: Sequence[ModelResult], cutoffs: Sequence[int]) -> list[str]:
    """The metrics shown by k: the ranking ones, and satisfaction where every model has it."""
    has_satisfaction = bool(cutoffs) and all(
        f"{SATISFACTION}@{c}" in r.metrics for r in results for c in cutoffs
    )
    return [*RANKING, *([SATISFACTION] if has_satisfaction else [])]


def _value(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def _num(value: float | None) -> str:
    if value is None or value != value:  # missing or NaN
        return "-"
    return f"{value:.4f}"


def _count(value: float | None) -> str:
    return "-" if value is None else f"{int(value):,}"


def _e(text: object) -> str:
    return html.escape(str(text))


# Shared with the experiment report (recommender/experiments/report.py).
STYLE = _STYLE
plot_svg = _plot
