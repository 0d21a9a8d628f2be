"""`rflow status`: every hypothesis on every branch, without checking any out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from researchflow.config import Config
from researchflow.portfolio import Portfolio, Row
from researchflow.portfolio_reader import collect
from researchflow.texttable import format_table


@dataclass(frozen=True)
class StatusResult:
    portfolio: Portfolio

    def to_json(self) -> dict[str, Any]:
        return {
            "today": self.portfolio.today.isoformat(),
            "hypotheses": [row.to_json() for row in self.portfolio.rows],
            "warnings": [warning.to_json() for warning in self.portfolio.warnings],
        }

    def to_text(self) -> str:
        rows = self.portfolio.rows
        if not rows:
            return "no hypotheses yet (start one with `rflow new-hypothesis TITLE`)"
        headers = ("ID", "STATUS", "EXECUTOR", "RICE", "AGE", "RUNS", "OVERRUN", "WHERE", "TITLE")
        table = format_table(headers, [_cells(row) for row in rows], right=(3, 4, 5, 6))
        lines = [table]
        for warning in self.portfolio.warnings:
            lines.append(f"warning: {warning.message}")
        return "\n".join(lines)


def _cells(row: Row) -> tuple[str, ...]:
    title = f"broken plan: {row.problem}" if row.plan is None else row.plan.title
    status = row.status
    if row.plan and row.plan.outcome:
        status = f"{status}/{row.plan.outcome}"
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


def status(config: Config, today: dt.date | None = None) -> StatusResult:
    return StatusResult(collect(config, today))
