"""One deterministic SVG per prediction: each repeat, the mean and its interval, the bars.

matplotlib is imported inside `prediction_svg` (never at CLI import time). The output is
byte-identical for the same inputs: no date in the metadata, a fixed hash salt for the
element IDs, and text kept as text rather than font-dependent glyph paths, so `rflow check`
can regenerate the picture and compare it like the results block. Drawing costs about a
second (matplotlib's import), so `rflow check` compares digests remembered by what the
picture is drawn from (`drawing_key`) and draws only when that changed.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from researchflow.verdicts.stats import Claim, Judgement

SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
COLOURS = {"confirmed": "#1a7f37", "refuted": "#cf222e", "inconclusive": "#9a6700"}


def figure_name(metric: str) -> str:
    """The file beside report.qmd that pictures `metric`: report-<metric>.svg."""
    return f"report-{SAFE.sub('_', metric).strip('._') or 'metric'}.svg"


def drawing_key(claim: Claim, judged: Judgement) -> str:
    """Everything `prediction_svg` draws from, as one digest: its inputs (frozen
    dataclasses of numbers and text), this module's code and matplotlib's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        library = version("matplotlib")
    except PackageNotFoundError:
        library = "none"
    code = Path(__file__).read_bytes()
    inputs = repr((claim, judged)).encode("utf-8")
    return hashlib.sha256(code + b"\0" + library.encode() + b"\0" + inputs).hexdigest()


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def prediction_svg(claim: Claim, judged: Judgement) -> str:
    """The picture of one prediction's evidence, as SVG text."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    est = judged.estimate
    assert est is not None, "a picture needs at least one observed value"
    style = {
        "svg.hashsalt": "researchflow",
        "svg.fonttype": "none",
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "path.simplify": False,
    }
    with matplotlib.rc_context(style):  # type: ignore[arg-type]  # keys are rcParams names
        figure = Figure(figsize=(6.4, 3.2))
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        n = len(est.values)
        # the repeats spread evenly across a band, in repeat order: no random jitter
        xs = [1 + (0.3 * (i / (n - 1) - 0.5) if n > 1 else 0.0) for i in range(n)]
        axes.scatter(xs, est.values, s=14, color="#57606a", zorder=3, label="repeats")
        if est.paired:
            axes.scatter(
                [x - 1 for x in xs],
                est.baselines,
                s=14,
                facecolors="none",
                edgecolors="#57606a",
                zorder=3,
                label="baseline repeats",
            )
        colour = COLOURS.get(judged.verdict, "#57606a")
        if judged.interval is not None:
            low = est.baseline + judged.interval.low
            high = est.baseline + judged.interval.high
            # identical repeats give a point interval that rounding can put a hair beside
            # the mean (baseline + mean(x - baseline) is not always mean(x)): never negative
            axes.errorbar(
                [1.35],
                [est.mean],
                yerr=[[max(0.0, est.mean - low)], [max(0.0, high - est.mean)]],
                fmt="o",
                color=colour,
                capsize=4,
                zorder=4,
                label=f"mean, {judged.confidence * 100:.4g} % interval"
                if judged.confidence is not None
                else "mean",
            )
        else:
            axes.scatter([1.35], [est.mean], s=30, color=colour, zorder=4, label="mean")
        axes.axhline(est.baseline, color="#8c959f", linestyle="--", linewidth=1, label="baseline")
        for bar in _bars(claim, est.baseline):
            axes.axhline(bar, color=colour, linestyle=":", linewidth=1)
        axes.plot([], [], color=colour, linestyle=":", linewidth=1, label=_bar_label(claim))
        axes.set_xlim(-0.6 if est.paired else 0.5, 1.6)
        axes.set_xticks([0, 1] if est.paired else [1])
        axes.set_xticklabels(["baseline", "repeats"] if est.paired else [f"n = {n}"])
        axes.set_ylabel(claim.metric)
        axes.set_title(f"{claim.metric}: {judged.verdict}", color=colour)
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        # fixed margins, the legend beside the axes: no layout search, same bytes every time
        figure.subplots_adjust(left=0.15, right=0.62, top=0.9, bottom=0.12)
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def _bars(claim: Claim, baseline: float) -> list[float]:
    if claim.direction == "no_change":
        return [baseline - claim.min_effect, baseline + claim.min_effect]
    sign = 1 if claim.direction == "increase" else -1
    return [baseline + sign * claim.min_effect]


def _bar_label(claim: Claim) -> str:
    if claim.direction == "no_change":
        return "baseline ± min_effect"
    return f"baseline {'+' if claim.direction == 'increase' else '−'} min_effect"
