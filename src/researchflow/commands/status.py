"""`rflow status`: every hypothesis on every branch, without checking any out."""

from __future__ import annotations

import datetime as dt

from researchflow.base import TYPE_CHECKING
from researchflow.base.frozen import frozen
from researchflow.base.texttable import format_table
from researchflow.documents.config import Config
from researchflow.views.portfolio import Portfolio, Row
from researchflow.views.portfolio_reader import collect
from researchflow.views.programme_view import metric_lines, portfolio_views

if TYPE_CHECKING:
    from typing import Any

    from researchflow.adapters.git import Started


@frozen
class StatusResult:
    portfolio: Portfolio
    by_metric: bool = False  # the programme view instead of the table

    def to_json(self) -> dict[str, Any]:
        portfolio = self.portfolio
        return {
            "today": portfolio.today.isoformat(),
            "hypotheses": [row.to_json() for row in portfolio.rows],
            "ideas": [idea.to_json() for idea in portfolio.ideas],
            "programme": [view.to_json() for view in portfolio_views(portfolio)],
            "warnings": [warning.to_json() for warning in portfolio.warnings],
            "notes": list(portfolio.notes),
        }

    def to_text(self) -> str:
        portfolio = self.portfolio
        if self.by_metric:
            lines = metric_lines(portfolio_views(portfolio))
        elif not portfolio.rows:
            lines = ["no hypotheses yet (start one with `rflow new-hypothesis TITLE`)"]
        else:
            headers = (
                "ID",
                "STATUS",
                "EXECUTOR",
                "RICE",
                "AGE",
                "RUNS",
                "OVERRUN",
                "WHERE",
                "TITLE",
            )
            rows = [_cells(row) for row in portfolio.rows]
            lines = [format_table(headers, rows, right=(3, 4, 5, 6))]
        if portfolio.ideas and not self.by_metric:
            count = len(portfolio.ideas)
            lines.append(
                f"backlog: {count} idea{'' if count == 1 else 's'} without a branch yet "
                "(`rflow rank` orders them; `rflow groom ID` starts one)"
            )
        lines += [f"note: {note}" for note in portfolio.notes]
        lines += [f"warning: {warning.message}" for warning in portfolio.warnings]
        return "\n".join(lines)


def _cells(row: Row) -> tuple[str, ...]:
    title = f"broken plan: {row.problem}" if row.plan is None else row.plan.title
    status = row.status
    if row.plan and row.plan.outcome:
        status = f"{status}/{row.plan.outcome}"
    if row.decision:
        status = f"{status} → {row.decision}"
    return (
        row.id or "?",
        status,
        row.executor or "-",
        "-" if row.score is None else str(row.score),
        "-" if row.age_days is None else f"{row.age_days}d",
        "?" if row.runs is None else str(row.runs),
        f"+{row.overrun_days}d" if row.overrun_days else "-",
        row.where,
        title,
    )


def status(
    config: Config,
    today: dt.date | None = None,
    *,
    by_metric: bool = False,
    listing: Started | None = None,
) -> StatusResult:
    """`listing`: the branch listing `start_layout` started early, if any."""
    return StatusResult(collect(config, today, listing=listing), by_metric)
