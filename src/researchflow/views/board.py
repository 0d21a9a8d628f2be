"""The portfolio as one self-contained HTML page: a Kanban board and a research log (pure).

Rendering only: jinja2 with autoescaping, inline CSS, no scripts or network assets, so the
file can be mailed, attached to a CI job or opened offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from researchflow.base.errors import RflowError
from researchflow.base.frozen import frozen
from researchflow.base.names import RUNS_FILE
from researchflow.documents.plan import STATUSES
from researchflow.documents.project import BUILTIN_TEMPLATES
from researchflow.process.backlog import Idea
from researchflow.views.portfolio import BROKEN, Portfolio, Row
from researchflow.views.programme_view import portfolio_views

TEMPLATE = "board.html.j2"

COLUMN_TITLES = {
    "draft": "Draft",
    "review": "In review",
    "approved": "Approved",
    "running": "Running",
    "hold": "On hold",
    "reported": "Reported",
    "concluded": "Concluded",
    "abandoned": "Abandoned",
    BROKEN: "Broken plans",
}


@frozen
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
    decision: str | None = None  # ship | iterate | stop, from the report
    decision_reason: str | None = None
    extended_days: int = 0  # added to the timebox by `rflow extend`
    held_days: int = 0
    review_days: int | None = None
    roles_reason: str | None = None  # a written waiver of a role rule
    next_step: str | None = None  # a ship decision's online validation, from the plan
    serves: tuple[str, ...] = ()
    phase: str | None = None  # the lifecycle phase entered last (`rflow phase`)
    shipped_result: str | None = None  # after a ship decision: the pilot or A/B result
    plan_b: str | None = None
    mr_url: str | None = None  # the branch's merge requests on GitLab, when known
    run_links: tuple[RunLink, ...] = ()  # each run's page in the MLflow UI, when known


@frozen
class RunLink:
    run_id: str
    url: str
    note: str | None = None


@frozen
class Links:
    """Where the board can link to: the GitLab project (https://host/group/project)."""

    gitlab_project_url: str | None = None
    remote: str = "origin"  # a remote-tracking branch `origin/hyp/…` is `hyp/…` on GitLab

    def merge_requests(self, branch: str) -> str | None:
        if not self.gitlab_project_url or not branch:
            return None
        branch = branch.removeprefix(f"{self.remote}/")
        query = urlencode({"scope": "all", "state": "all", "source_branch": branch})
        return f"{self.gitlab_project_url}/-/merge_requests?{query}"


def run_links(raw: bytes | None) -> tuple[RunLink, ...]:
    """The runs a runs.yaml lists in a store with a UI (a tracking server), linked."""
    from researchflow.documents.runlog import parse_runs

    if raw is None:
        return ()
    try:
        runs = parse_runs(raw, RUNS_FILE).runs
    except RflowError:
        return ()  # the card says the runs log is unreadable elsewhere
    links = []
    for entry in runs:
        if not entry.tracking_uri.startswith(("http://", "https://")):
            continue  # the embedded store has no UI to link to
        base = entry.tracking_uri.rstrip("/")
        url = f"{base}/#/experiments/{quote(entry.experiment_id)}/runs/{quote(entry.run_id)}"
        links.append(RunLink(entry.run_id, url, entry.note))
    return tuple(links)


@frozen
class Lane:
    """One executor's row of the swimlane view: their cards per status."""

    executor: str
    cells: tuple[tuple[str, tuple[Card, ...]], ...]  # (status, cards) in lifecycle order


@frozen
class Column:
    status: str
    title: str
    cards: tuple[Card, ...]


def card(row: Row, links: Links | None = None) -> Card:
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
        decision=row.decision,
        decision_reason=row.decision_reason,
        extended_days=plan.extended_days if plan else 0,
        held_days=row.held_days,
        review_days=row.review_days,
        roles_reason=plan.roles_reason if plan else None,
        next_step=_next_step(plan.validation) if plan and row.decision == "ship" else None,
        serves=plan.serves if plan else (),
        phase=plan.phase if plan else None,
        shipped_result=row.shipped_result,
        plan_b=row.plan_b,
        mr_url=links.merge_requests(row.where) if links and not row.source.merged else None,
        run_links=run_links(row.source.runs) if links else (),
    )


def _next_step(validation: dict[str, Any] | None) -> str | None:
    """A ship decision's next step: the plan's online validation, in one line."""
    if not validation:
        return "no online validation planned (add `validation:` to the plan)"
    kind = "A/B test" if validation.get("type") == "ab_test" else "pilot"
    parts = [kind]
    if validation.get("period_days"):
        parts.append(f"{validation['period_days']} days")
    if validation.get("traffic_percent"):
        parts.append(f"{validation['traffic_percent']:g}% of traffic")
    if validation.get("control"):
        parts.append(f"against {validation['control']}")
    if validation.get("business_metric"):
        parts.append(f"measuring {validation['business_metric']}")
    return ", ".join(parts)


def idea_card(idea: Idea) -> Card:
    r = idea.rice
    return Card(
        id=idea.id,
        title=idea.title,
        status="idea",
        executor=None,
        score=idea.score,
        rice=f"R{r.reach} · I{r.impact} · C{r.confidence} · E{r.effort}",
        age_days=None,
        runs=None,
        overrun_days=None,
        outcome=None,
        conclusion=None,
        where="backlog",
        merged=False,
        problem=None,
        serves=idea.serves,
    )


def lanes(portfolio: Portfolio) -> list[Lane]:
    """Swimlanes: one row per executor (unassigned last), a cell per live status."""
    statuses = [s for s in STATUSES if s not in ("concluded", "abandoned")]
    people = sorted({row.executor for row in portfolio.rows if row.executor})
    result: list[Lane] = []
    for person in [*people, None]:
        cells = []
        for status in statuses:
            rows = [r for r in portfolio.rows if r.status == status and r.executor == person]
            ordered = sorted(rows, key=lambda row: (-(row.score or 0), row.id or ""))
            cells.append((status, tuple(card(row) for row in ordered)))
        if person is None and not any(cards for _, cards in cells):
            continue
        result.append(Lane(person or "no executor", tuple(cells)))
    return result


def phase_groups(
    portfolio: Portfolio, phases: Sequence[tuple[str, str]]
) -> list[tuple[str, str, list[str]]]:
    """Each phase of the team's lifecycle with the unfinished hypotheses in it."""
    live = [r for r in portfolio.rows if r.plan and r.status not in ("concluded", "abandoned")]
    return [
        (name, deliverable, [r.id or "?" for r in live if r.plan and r.plan.phase == name])
        for name, deliverable in phases
    ]


def columns(portfolio: Portfolio, links: Links | None = None) -> list[Column]:
    """One column per status in lifecycle order (empty ones too), broken plans last;
    within a column the most valuable work first."""
    result: list[Column] = []
    for status, rows in portfolio.by_status().items():
        if status == BROKEN and not rows:
            continue
        ordered = sorted(rows, key=lambda row: (-(row.score or 0), row.id or ""))
        cards = tuple(card(row, links) for row in ordered)
        result.append(Column(status, COLUMN_TITLES.get(status, status), cards))
    return result


def render_board(
    portfolio: Portfolio,
    *,
    project: str,
    generated: str,
    template_dirs: Sequence[Path] = (),
    swimlanes: bool = True,
    digest_link: str | None = None,
    links: Links | None = None,
    phases: Sequence[tuple[str, str]] = (),
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
        columns=columns(portfolio, links),
        log=[card(row, links) for row in portfolio.concluded()],
        warnings=[warning.message for warning in portfolio.warnings],
        total=len(rows),
        counts=counts,
        outcomes=outcomes,
        broken=sum(1 for row in rows if row.broken),
        ideas=[idea_card(idea) for idea in sorted(portfolio.ideas, key=lambda i: -i.score)],
        programme=portfolio_views(portfolio),
        lanes=lanes(portfolio),
        swimlanes=swimlanes,
        digest_link=digest_link,
        phases=phase_groups(portfolio, phases),
    )
