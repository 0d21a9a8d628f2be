"""How many repeats a plan needs: the spread of the runs made so far → repeats for 80 % power.

Pure apart from `stats` importing scipy lazily. Meant for the design review: the runs made
before approval are exploratory, and their spread is the best guess of the seed noise the
confirmatory experiment will meet.
"""

from __future__ import annotations

from collections.abc import Iterable

from researchflow.base.frozen import frozen
from researchflow.base.output import attributes
from researchflow.documents.plan import Plan
from researchflow.documents.runlog import RunEntry
from researchflow.verdicts.stats import POWER, required_repeats, sample_sd

BASELINE_ARM = "baseline"


@frozen
class PowerRow:
    """One prediction: the spread seen, and the repeats that would detect min_effect."""

    metric: str
    runs: int  # finished runs that logged the metric
    sd: float | None  # their standard deviation; None with fewer than two
    min_effect: float
    alpha: float
    needed: int | None  # None when the spread cannot be estimated
    registered: int

    @property
    def short(self) -> bool:
        return self.needed is not None and self.registered < self.needed

    def to_json(self) -> dict[str, object]:
        return {
            **attributes(self, "metric", "runs", "sd", "min_effect", "alpha"),
            "power": POWER,
            **attributes(self, "needed", "registered"),
        }

    def to_text(self) -> str:
        if self.sd is None:
            return (
                f"{self.metric}: {self.runs} run(s) logged it; at least two are needed to "
                "estimate the spread (make exploratory runs first)"
            )
        if self.min_effect <= 0:
            return f"{self.metric}: min_effect is 0, so no number of repeats can detect it"
        verdict = "too few" if self.short else "enough"
        return (
            f"{self.metric}: sd {self.sd:.4g} over {self.runs} runs; {self.needed} repeats "
            f"detect min_effect {self.min_effect:g} at alpha {self.alpha:g} with "
            f"{POWER:.0%} power; the plan registers {self.registered} ({verdict})"
        )


def power_rows(plan: Plan, runs: Iterable[RunEntry]) -> list[PowerRow]:
    """Per prediction, from the finished runs (not the baseline arm) that logged its metric."""
    usable = [run for run in runs if run.status == "FINISHED" and run.arm != BASELINE_ARM]
    alpha = plan.evaluation.alpha
    rows = []
    for prediction in plan.predictions:
        # runs of different commands differ by more than seed noise: the spread is pooled
        # within each command, never across them
        by_command: dict[tuple[str, ...], list[float]] = {}
        for run in usable:
            if prediction.metric in run.metrics:
                by_command.setdefault(tuple(run.command), []).append(run.metrics[prediction.metric])
        groups = [group for group in by_command.values() if len(group) >= 2]
        values = [value for group in groups for value in group]
        sd = _pooled_sd(groups) if groups else None
        needed = None
        if sd is not None and prediction.min_effect > 0:
            needed = required_repeats(sd, prediction.min_effect, alpha)
        rows.append(
            PowerRow(
                prediction.metric,
                len(values),
                sd,
                prediction.min_effect,
                alpha,
                needed,
                plan.evaluation.repeats,
            )
        )
    return rows


def _pooled_sd(groups: list[list[float]]) -> float:
    """The pooled standard deviation of groups of at least two values each."""
    if len(groups) == 1:
        return sample_sd(groups[0])
    squares = sum((len(group) - 1) * sample_sd(group) ** 2 for group in groups)
    return float((squares / sum(len(group) - 1 for group in groups)) ** 0.5)
