"""``philomath experiment report NAME``: the decision as text, JSON and HTML with plots.

A sample ratio mismatch blocks the report: the text says why and shows no metric, since a
broken assignment makes every comparison untrustworthy (Kohavi et al., chapter 21).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

from recommender.experiments.analysis import METRICS, Analysis, format_number


def as_dict(analysis: Analysis) -> dict[str, Any]:
    experiment = analysis.experiment
    body: dict[str, Any] = {
        "experiment": experiment.name,
        "status": experiment.status,
        "alpha": experiment.alpha,
        "primary_metric": experiment.primary_metric,
        "listeners": analysis.srm.counts,
        "srm_p_value": analysis.srm.p_value,
        "blocked": analysis.blocked,
        "crossed_over": analysis.crossed_over,
        "looks": len(analysis.look_times),
    }
    if analysis.blocked:
        return body
    body["winner"] = analysis.winner
    body["metrics"] = {
        metric: {
            name: {"value": _clean(e.value), "stderr": _clean(e.stderr), "listeners": e.listeners}
            for name, e in by_variant.items()
        }
        for metric, by_variant in analysis.estimates.items()
    }
    body["comparisons"] = {
        metric: {
            name: {
                "difference": _clean(c.difference),
                "relative": _clean(c.relative),
                "p_value": _clean(c.p_value),
                "interval": [_clean(c.interval[0]), _clean(c.interval[1])],
                "significant": c.significant,
            }
            for name, c in by_variant.items()
        }
        for metric, by_variant in analysis.comparisons.items()
    }
    body["guardrails"] = [
        {
            "metric": g.metric,
            "variant": g.variant,
            "relative_harm": _clean(g.relative_harm),
            "limit": g.limit,
            "breached": g.breached,
        }
        for g in analysis.guardrails
    ]
    return body


def _clean(value: float) -> float | None:
    return None if math.isnan(value) else value


def format_text(analysis: Analysis) -> str:
    experiment = analysis.experiment
    counts = ", ".join(f"{name} {count}" for name, count in analysis.srm.counts.items())
    lines = [
        f"experiment {experiment.name} ({experiment.status}), control {experiment.control.name}",
        f"listeners: {counts}; sample ratio p={analysis.srm.p_value:.3g}",
    ]
    if analysis.blocked:
        lines.append(f"BLOCKED: {analysis.blocked}")
        return "\n".join(lines)
    if analysis.crossed_over:
        lines.append(f"warning: {analysis.crossed_over} listeners saw more than one variant")
    lines.append(
        f"{'metric':<20}{'variant':<14}{'value':>10}{'95% CI':>22}{'vs control':>12}"
        f"{'p (always valid)':>18}"
    )
    for metric in METRICS:
        for name, e in analysis.estimates.get(metric, {}).items():
            low, high = e.interval()
            c = analysis.comparisons[metric].get(name)
            versus = f"{c.relative:+.2%}" if c and not math.isnan(c.relative) else ""
            p = f"{c.p_value:.3g}{' *' if c.significant else ''}" if c else ""
            ci = f"[{format_number(low)}, {format_number(high)}]"
            lines.append(
                f"{metric:<20}{name:<14}{format_number(e.value):>10}{ci:>22}{versus:>12}{p:>18}"
            )
    for rail in analysis.guardrails:
        state = "BREACHED" if rail.breached else "ok"
        lines.append(
            f"guardrail {rail.metric} on {rail.variant}: harm {rail.relative_harm:+.2%} "
            f"(limit {rail.limit:.0%}) {state}"
        )
    verdict = (
        f"better variant: {analysis.winner}"
        if analysis.winner
        else f"no significant difference on {experiment.primary_metric} at alpha {experiment.alpha}"
    )
    lines.append(verdict)
    return "\n".join(lines)


def write_html(path: Path, analysis: Analysis) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(render_html(analysis), encoding="utf-8")
    tmp.replace(path)
    return path


def render_html(analysis: Analysis) -> str:
    from recommender.evaluation.report import STYLE, plot_svg

    title = f"Experiment {analysis.experiment.name}"
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
        f"<pre>{html.escape(format_text(analysis))}</pre>",
    ]
    if not analysis.blocked and analysis.look_times:
        parts.append("<h2>Metrics by variant (95% intervals)</h2>")
        parts.append(plot_svg(_metrics_figure(analysis)))
        parts.append("<h2>Always-valid p-value of the primary metric, look by look</h2>")
        parts.append(plot_svg(_p_path_figure(analysis)))
    parts.append("</body></html>")
    return "\n".join(parts)


def _metrics_figure(analysis: Analysis) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 2.6), layout="constrained")
    axes = fig.subplots(1, len(METRICS))
    for ax, metric in zip(axes, METRICS, strict=True):
        by_variant = analysis.estimates[metric]
        names = list(by_variant)
        values = [by_variant[name].value for name in names]
        errors = [1.96 * by_variant[name].stderr for name in names]
        ax.bar(names, values, yerr=errors, capsize=4, color="#4c78a8")
        ax.set_title(metric, fontsize=9)
    return fig


def _p_path_figure(analysis: Analysis) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 2.8), layout="constrained")
    ax = fig.subplots()
    looks = range(1, len(analysis.look_times) + 1)
    for name, comparison in analysis.comparisons[analysis.experiment.primary_metric].items():
        ax.plot(looks, comparison.p_path, marker="o", label=name)
    ax.axhline(analysis.experiment.alpha, color="#c44", linestyle="--", label="alpha")
    ax.set_yscale("log")
    ax.set_xlabel("look")
    ax.set_ylabel("p (always valid)")
    ax.legend(fontsize=8)
    return fig
