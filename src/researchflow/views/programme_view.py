"""The programme view: each problem statement's success metrics, the hypotheses serving
each, the confirmed effects so far, and the metrics nobody serves (pure).

Shared by `rflow board` (a header per problem statement) and `rflow status --by metric`.
"""

from __future__ import annotations

from collections.abc import Iterable

from researchflow.base import TYPE_CHECKING
from researchflow.base.frozen import frozen
from researchflow.base.output import attributes
from researchflow.documents.programme import Metric, ProblemStatement
from researchflow.views.portfolio import Portfolio

if TYPE_CHECKING:
    from typing import Any


@frozen
class Serving:
    """One hypothesis as a metric's line shows it."""

    id: str
    title: str
    status: str
    outcome: str | None = None
    decision: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.status == "concluded" and self.outcome == "confirmed"


@frozen
class MetricView:
    metric: Metric
    serving: tuple[Serving, ...]

    @property
    def uncovered(self) -> bool:
        """No live or finished hypothesis serves it (abandoned ones do not count)."""
        return not any(s.status != "abandoned" for s in self.serving)

    @property
    def confirmed(self) -> tuple[Serving, ...]:
        return tuple(s for s in self.serving if s.confirmed)

    @property
    def target(self) -> str:
        metric = self.metric
        arrow = "≥" if metric.direction == "increase" else "≤"
        unit = f" {metric.unit}" if metric.unit and metric.unit != "%" else metric.unit
        return f"{arrow} {metric.target:g}{unit}"

    def to_json(self) -> dict[str, Any]:
        return {
            **attributes(self.metric, "name", "kind", "target", "direction", "unit"),
            "uncovered": self.uncovered,
            "serving": [s.id for s in self.serving],
            "confirmed": [s.id for s in self.confirmed],
        }


@frozen
class ProgrammeView:
    statement: ProblemStatement
    metrics: tuple[MetricView, ...]

    @property
    def uncovered(self) -> tuple[MetricView, ...]:
        return tuple(m for m in self.metrics if m.uncovered)

    def to_json(self) -> dict[str, Any]:
        return {
            **attributes(self.statement, "path", "title", "status", "owner"),
            "metrics": [m.to_json() for m in self.metrics],
        }


def programme_views(
    statements: Iterable[ProblemStatement], hypotheses: Iterable[tuple[Serving, tuple[str, ...]]]
) -> list[ProgrammeView]:
    """One view per statement; `hypotheses` pairs each hypothesis with the metrics it serves."""
    pairs = list(hypotheses)
    views: list[ProgrammeView] = []
    for statement in statements:
        metrics = tuple(
            MetricView(metric, tuple(s for s, serves in pairs if metric.name in serves))
            for metric in statement.metrics
        )
        views.append(ProgrammeView(statement, metrics))
    return views


def portfolio_views(portfolio: Portfolio) -> list[ProgrammeView]:
    """The programme views of a portfolio: its problem statements and its readable plans."""
    pairs = [
        (
            Serving(row.plan.id, row.plan.title, row.plan.status, row.plan.outcome, row.decision),
            row.plan.serves,
        )
        for row in portfolio.rows
        if row.plan is not None
    ]
    return programme_views(portfolio.statements, pairs)


def metric_lines(views: list[ProgrammeView]) -> list[str]:
    """`rflow status --by metric`: per programme, each metric with its target, the
    hypotheses serving it and the confirmed effects so far; uncovered metrics said so."""
    if not views:
        return ["no problem statement on the default branch (`rflow init` writes one)"]
    lines: list[str] = []
    for view in views:
        statement = view.statement
        lines.append(f"{statement.title} ({statement.path}, {statement.status})")
        for metric in view.metrics:
            head = f"  {metric.metric.name} [{metric.metric.kind}] target {metric.target}"
            if metric.uncovered:
                lines.append(f"{head}: UNCOVERED (no hypothesis serves it)")
                continue
            serving = ", ".join(
                f"{s.id} {s.status}" + (f"/{s.outcome}" if s.outcome else "")
                for s in metric.serving
            )
            confirmed = ", ".join(s.id for s in metric.confirmed) or "none yet"
            lines.append(f"{head}: served by {serving}; confirmed: {confirmed}")
    return lines
