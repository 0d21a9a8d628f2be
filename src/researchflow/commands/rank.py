"""`rflow rank`: the backlog (ideas, drafts, plans in review and approved) ordered by RICE
score, ties by the lower ID."""

from __future__ import annotations

import datetime as dt
from typing import Any

from researchflow.base.frozen import frozen
from researchflow.base.texttable import format_table
from researchflow.documents.config import Config
from researchflow.process.backlog import Idea
from researchflow.views.portfolio import BACKLOG, Row, Summary, item_score, ranked
from researchflow.views.portfolio_reader import collect


@frozen
class RankResult:
    rows: tuple[Row | Idea, ...]  # ideas from the backlog rank with the drafts
    skipped: tuple[Row, ...]  # broken plans: they cannot be scored
    statuses: tuple[str, ...] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "statuses": list(self.statuses) if self.statuses else "all",
            "ranking": [
                {"rank": position, **_json(row)} for position, row in enumerate(self.rows, start=1)
            ],
            "skipped": [{"id": row.id, "problem": row.problem} for row in self.skipped],
        }

    def to_text(self) -> str:
        if not self.rows:
            lines = ["nothing to rank: no hypothesis in " + _which(self.statuses)]
        else:
            headers = ("#", "ID", "RICE", "R", "I", "C", "E", "STATUS", "EXECUTOR", "TITLE")
            cells = [_cells(position, row) for position, row in enumerate(self.rows, start=1)]
            lines = [format_table(headers, cells, right=(0, 2, 3, 4, 5, 6))]
            lines.append(
                "RICE = reach × impact × confidence × effort (each 1..5; effort 5 = easiest)"
            )
        for row in self.skipped:
            lines.append(f"not ranked: {row.id or '?'} ({row.where}): {row.problem}")
        return "\n".join(lines)


def _which(statuses: tuple[str, ...] | None) -> str:
    return "any status" if statuses is None else "status " + ", ".join(statuses)


def _json(item: Row | Idea) -> dict[str, Any]:
    if isinstance(item, Idea):
        return {**item.to_json(), "status": "idea", "branch": None, "executor": None}
    return item.to_json()


def _cells(position: int, row: Row | Idea) -> tuple[str, ...]:
    item: Idea | Summary
    if isinstance(row, Idea):
        item, status, executor = row, "idea", "-"
    else:
        assert row.plan is not None
        item = row.plan
        status, executor = item.status, item.executor or "-"
    rice = item.rice
    return (
        str(position),
        item.id,
        str(item.score),
        str(rice.reach),
        str(rice.impact),
        str(rice.confidence),
        str(rice.effort),
        status,
        executor,
        item.title,
    )


def rank(config: Config, *, include_all: bool = False, today: dt.date | None = None) -> RankResult:
    portfolio = collect(config, today)
    statuses = None if include_all else BACKLOG
    skipped = tuple(row for row in portfolio.rows if row.broken)
    items: list[Row | Idea] = [*ranked(portfolio.rows, statuses), *portfolio.ideas]
    items.sort(key=lambda item: (-item_score(item), _number(item.id)))
    return RankResult(tuple(items), skipped, statuses)


def _number(hypothesis_id: str | None) -> int:
    try:
        return int((hypothesis_id or "").split("-", 1)[1])
    except (IndexError, ValueError):
        return 1 << 62
