"""The portfolio as one self-contained HTML page: a Kanban board and a research log (pure).

Rendering only: jinja2 with autoescaping, inline CSS, no scripts or network assets, so the
file can be mailed, attached to a CI job or opened offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from researchflow.plan import STATUSES
from researchflow.portfolio import BROKEN, Portfolio, Row

TEMPLATE = "board.html.j2"
BUILTIN_TEMPLATES = Path(__file__).parent / "templates"

COLUMN_TITLES = {
    "draft": "Draft",
    "review": "In review",
    "approved": "Approved",
    "running": "Running",
    "reported": "Reported",
    "concluded": "Concluded",
    "abandoned": "Abandoned",
    BROKEN: "Broken plans",
}


@dataclass(frozen=True)
class Card:
    id: str
    title: str
    status: str
    executor: str | None
    score: int | None
    rice: str  # "R3 · I3 · C2 · E3", shown as a tooltip and under the title
    age_days: int | None
    runs: int | None
    overrun_days: int | None
    outcome: str | None
    conclusion: str | None
    where: str
    merged: bool
    problem: str | None


@dataclass(frozen=True)
class Column:
    status: str
    title: str
    cards: tuple[Card, ...]


def card(row: Row) -> Card:
    plan = row.plan
    rice = ""
    if plan is not None:
        r = plan.rice
        rice = f"R{r.reach} · I{r.impact} · C{r.confidence} · E{r.effort}"
    return Card(
        id=row.id or "?",
        title=plan.title if plan else row.source.folder,
        status=row.status,
        executor=row.executor,
        score=row.score,
        rice=rice,
        age_days=row.age_days,
        runs=row.runs,
        overrun_days=row.overrun_days,
        outcome=plan.outcome if plan else None,
        conclusion=plan.conclusion if plan else None,
        where=row.where,
        merged=row.source.merged,
        problem=row.problem if row.broken else None,
    )


def columns(portfolio: Portfolio) -> list[Column]:
    """One column per status in lifecycle order (empty ones too), broken plans last;
    within a column the most valuable work first."""
    result: list[Column] = []
    for status, rows in portfolio.by_status().items():
        if status == BROKEN and not rows:
            continue
        ordered = sorted(rows, key=lambda row: (-(row.score or 0), row.id or ""))
        cards = tuple(card(row) for row in ordered)
        result.append(Column(status, COLUMN_TITLES.get(status, status), cards))
    return result


def render_board(
    portfolio: Portfolio,
    *,
    project: str,
    generated: str,
    template_dirs: Sequence[Path] = (),
) -> str:
    """The board as HTML; `template_dirs` may hold a `board.html.j2` overriding the built-in."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader([*template_dirs, BUILTIN_TEMPLATES]),
        autoescape=True,  # titles, names and conclusions are user text
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    rows = portfolio.rows
    counts = {status: sum(1 for row in rows if row.status == status) for status in STATUSES}
    outcomes = {
        outcome: sum(1 for row in portfolio.concluded() if row.plan and row.plan.outcome == outcome)
        for outcome in ("confirmed", "refuted", "inconclusive")
    }
    return environment.get_template(TEMPLATE).render(
        project=project,
        generated=generated,
        today=portfolio.today.isoformat(),
        columns=columns(portfolio),
        log=[card(row) for row in portfolio.concluded()],
        warnings=[warning.message for warning in portfolio.warnings],
        total=len(rows),
        counts=counts,
        outcomes=outcomes,
        broken=sum(1 for row in rows if row.broken),
    )
