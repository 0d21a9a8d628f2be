"""All confirmatory experiments count (pure): the outcome of each prediction over every
confirmatory experiment, and the table the report shows them in.

A second confirmatory experiment after a first refuting one is shown with it, and the
outcome follows both: a prediction is confirmed only when every deciding experiment
confirms it, refuted when any refutes it, inconclusive otherwise. The deciding experiments
are those resting on the latest approval; an experiment on an earlier approval is
superseded only by a deviation re-approved before the later one ran (the classifier makes
a run after an unapproved deviation exploratory), and is still shown. No primary run, chosen
or latest, changes the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from researchflow.base.frozen import frozen
from researchflow.verdicts.outcome import CONFIRMED, INCONCLUSIVE, REFUTED

if TYPE_CHECKING:
    from researchflow.views.report_inputs import ReportInputs


@frozen
class Counted:
    """One confirmatory experiment and its verdicts, as registered at its own commit."""

    label: str  # "`run-id`" or "group `parent-id`"
    approval: str  # the approval it rests on: approval | reapprovals[N]
    started: str
    verdicts: Mapping[str, str]  # metric → verdict
    deciding: bool = True


def counted(inputs: ReportInputs) -> list[Counted]:
    """Every confirmatory experiment, oldest first; empty with fewer than two."""
    if not inputs.others:
        return []
    from researchflow.views.judging import judge_all

    made: list[Counted] = []
    for each in (*inputs.others, inputs):
        item = next((c for c in each.classified if c.run_id == each.primary_run), None)
        if item is None:
            continue
        group = item.run.group
        label = f"group `{group}`" if group else f"`{item.run_id}`"
        verdicts = {metric: j.verdict for metric, j in judge_all(each).items()}
        made.append(Counted(label, item.approval, item.run.started, verdicts))
    made.sort(key=lambda c: (c.started, c.label))
    latest = max((_rank(c.approval) for c in made), default=-1)
    return [
        Counted(c.label, c.approval, c.started, c.verdicts, _rank(c.approval) == latest)
        for c in made
    ]


def outcome_verdicts(inputs: ReportInputs) -> dict[str, str]:
    """metric → the verdict the outcome follows: over every deciding experiment."""
    from researchflow.views.judging import judge_all

    verdicts = {metric: j.verdict for metric, j in judge_all(inputs).items()}
    made = [c for c in counted(inputs) if c.deciding]
    if not made:
        return verdicts
    return {
        metric: _over([c.verdicts.get(metric, INCONCLUSIVE) for c in made]) for metric in verdicts
    }


def render(inputs: ReportInputs) -> list[str]:
    """The table of all confirmatory experiments, before the primary one's; none for one."""
    made = counted(inputs)
    if not made:
        return []
    deciding = [c for c in made if c.deciding]
    overall = outcome_verdicts(inputs)
    lines = [
        f"**All confirmatory experiments count:** {len(made)} were made, {len(deciding)} on "
        "the latest approval. Each prediction's outcome follows every one of those: confirmed "
        "only when each confirms it, refuted when any refutes it, inconclusive otherwise; the "
        "primary experiment below is shown in detail, and decides nothing alone.",
        "",
        "| Prediction | Experiments | Verdict of each, oldest first | Outcome | Experiments, "
        "oldest first |",
        "|---|---|---|---|---|",
    ]
    labels = ", ".join(c.label for c in deciding)
    for metric, verdict in overall.items():
        each = ", ".join(c.verdicts.get(metric, INCONCLUSIVE) for c in deciding)
        lines.append(f"| {metric} | {len(deciding)} | {each} | **{verdict}** | {labels} |")
    superseded = [c for c in made if not c.deciding]
    if superseded:
        lines += ["", "Superseded by a re-approved deviation (shown, not deciding):", ""]
        for c in superseded:
            shown = ", ".join(f"{metric} {verdict}" for metric, verdict in c.verdicts.items())
            lines.append(f"- {c.label}, on the {_approval_name(c.approval)}: {shown}")
    return [*lines, ""]


def _over(verdicts: list[str]) -> str:
    if any(v == REFUTED for v in verdicts):
        return REFUTED
    if verdicts and all(v == CONFIRMED for v in verdicts):
        return CONFIRMED
    return INCONCLUSIVE


def _rank(approval: str) -> int:
    """approval → -1, reapprovals[N] → N: later approvals rank higher."""
    if approval.startswith("reapprovals["):
        try:
            return int(approval[len("reapprovals[") : -1])
        except ValueError:
            return -1
    return -1


def _approval_name(approval: str) -> str:
    return "approval" if approval == "approval" else f"re-approval {approval}"
