"""The portfolio across hypotheses: rows, age, timebox overrun, WIP warnings, ranking (pure).

The status, rank and board commands gather plan files from git and hand them here as
`PlanSource`s; everything below is a function of those bytes and today's date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from researchflow.config import SectionsConfig
from researchflow.naming import id_from_name, id_number
from researchflow.plan import RICE_FACTORS, STATUSES, Plan, rank_key, read_plan

# Work that has started (or may start) runs against its timebox
TIMEBOXED = ("approved", "running")
# Not started yet: what `rflow rank` prioritises
BACKLOG = ("draft", "review", "approved")
BROKEN = "broken"

try:  # the C loader is ~10x faster and status reads hundreds of runs logs
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class PlanSource:
    """One hypothesis folder as found in git: where, and the raw bytes of its files."""

    folder: str  # `H-007-graded-target`
    path: str  # `research/H-007-graded-target/plan.qmd`
    plan: bytes | None  # None: no plan.qmd there
    runs: bytes | None = None  # runs.yaml, None when absent
    branch: str = ""  # `hyp/H-007-…`, `origin/hyp/H-007-…`, or the default branch (`main`)
    merged: bool = False  # read from the default branch: no hypothesis branch left


@dataclass(frozen=True)
class Row:
    """One hypothesis as the team lead sees it; `plan` is None for a broken plan."""

    id: str | None
    source: PlanSource
    plan: Plan | None
    problem: str | None  # the first problem of the plan (the reason when broken)
    problem_count: int
    runs: int | None  # None: runs.yaml unreadable
    age_days: int | None
    overrun_days: int | None  # days past the timebox, approved/running only

    @property
    def broken(self) -> bool:
        return self.plan is None

    @property
    def status(self) -> str:
        return self.plan.status if self.plan else BROKEN

    @property
    def title(self) -> str:
        return self.plan.title if self.plan else ""

    @property
    def executor(self) -> str | None:
        return self.plan.roles.executor if self.plan else None

    @property
    def score(self) -> int | None:
        return self.plan.score if self.plan else None

    @property
    def where(self) -> str:
        """The branch the plan was read from."""
        return self.source.branch

    def to_json(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "id": self.id,
            "title": plan.title if plan else None,
            "status": self.status,
            "outcome": plan.outcome if plan else None,
            "executor": self.executor,
            "rice": _rice_json(plan),
            "created": plan.created.isoformat() if plan else None,
            "age_days": self.age_days,
            "runs": self.runs,
            "timebox_days": plan.timebox_days if plan else None,
            "overrun_days": self.overrun_days,
            "conclusion": plan.conclusion if plan else None,
            "branch": self.source.branch,
            "merged": self.source.merged,
            "path": self.source.path,
            "broken": self.broken,
            "problem": self.problem,
            "problem_count": self.problem_count,
        }


def _rice_json(plan: Plan | None) -> dict[str, int] | None:
    if plan is None:
        return None
    values = {factor: getattr(plan.rice, factor) for factor in RICE_FACTORS}
    return {**values, "score": plan.score}


@dataclass(frozen=True)
class PortfolioWarning:
    kind: str  # "wip" | "timebox" | "duplicate"
    message: str
    ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "ids": list(self.ids)}


@dataclass(frozen=True)
class Portfolio:
    rows: tuple[Row, ...]
    warnings: tuple[PortfolioWarning, ...]
    today: dt.date

    def by_status(self) -> dict[str, list[Row]]:
        """Every status (in lifecycle order, then `broken` if any) → its rows."""
        columns: dict[str, list[Row]] = {status: [] for status in STATUSES}
        for row in self.rows:
            columns.setdefault(row.status, []).append(row)
        return columns

    def concluded(self) -> list[Row]:
        """The research log: what the team has learned, newest ID first."""
        done = [row for row in self.rows if row.status == "concluded"]
        return sorted(done, key=lambda row: _id_sort(row.id), reverse=True)


def count_runs(raw: bytes | None) -> int | None:
    """Entries under `runs:` in a runs.yaml; 0 when absent, None when unreadable."""
    if raw is None:
        return 0
    try:
        data = yaml.load(raw, Loader=_Loader)  # CSafeLoader: safe
    except yaml.YAMLError:
        return None
    if data is None:
        return 0
    if not isinstance(data, dict):
        return None
    runs = data.get("runs") or []
    return len(runs) if isinstance(runs, list) else None


def timebox_start(plan: Plan) -> dt.date:
    """The timebox runs from approval (when work may start), else from creation."""
    if plan.approval is not None:
        try:
            return dt.date.fromisoformat(str(plan.approval.at)[:10])
        except ValueError:
            pass
    return plan.created


def overrun(plan: Plan, today: dt.date) -> int | None:
    """Days past `timebox_days` for approved/running work; None when not timeboxed."""
    if plan.status not in TIMEBOXED or plan.timebox_days is None:
        return None
    late = (today - timebox_start(plan)).days - plan.timebox_days
    return max(late, 0)


def build_row(source: PlanSource, sections: SectionsConfig, today: dt.date) -> Row:
    folder_id = id_from_name(source.folder)
    runs = count_runs(source.runs)
    if source.plan is None:
        if folder_id is None and source.branch:
            problem = (
                f"{source.branch}: branch: the name does not start with a hypothesis ID "
                "(rename it to <prefix>H-NNN-slug)"
            )
        else:
            problem = f"{source.path}:0: file: not found (commit the plan, or delete the branch)"
        return Row(folder_id, source, None, problem, 1, runs, None, None)
    result = read_plan(source.plan, source.path, sections)
    first = str(result.problems[0]) if result.problems else None
    plan = result.plan
    if plan is None:
        return Row(folder_id, source, None, first, len(result.problems), runs, None, None)
    age = (today - plan.created).days
    return Row(plan.id, source, plan, first, len(result.problems), runs, age, overrun(plan, today))


def build_portfolio(
    sources: Iterable[PlanSource], sections: SectionsConfig, today: dt.date
) -> Portfolio:
    rows = sorted(
        (build_row(source, sections, today) for source in sources),
        key=lambda row: (_id_sort(row.id), row.source.branch),
    )
    return Portfolio(tuple(rows), tuple(warnings(rows)), today)


def warnings(rows: Iterable[Row]) -> list[PortfolioWarning]:
    """Work in progress beyond one per executor, running past the timebox, reused IDs."""
    rows = list(rows)
    found: list[PortfolioWarning] = []
    running: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.status == "running" and row.executor:
            running[row.executor].append(row.id or "?")
    for executor, ids in sorted(running.items()):
        if len(ids) > 1:
            found.append(
                PortfolioWarning(
                    "wip",
                    f"{executor} is running {len(ids)} hypotheses ({', '.join(ids)}): "
                    "work in progress is limited to one (finish or pause all but one)",
                    tuple(ids),
                )
            )
    for row in rows:
        if row.status == "running" and row.overrun_days and row.plan:
            found.append(
                PortfolioWarning(
                    "timebox",
                    f"{row.id} is running {_days(row.overrun_days)} past its "
                    f"{row.plan.timebox_days}-day timebox (conclude it, or record a "
                    "deviation with a new timebox_days)",
                    (row.id or "?",),
                )
            )
    seen: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if row.id:
            seen[row.id].append(row)
    for hypothesis_id, same in sorted(seen.items(), key=lambda item: _id_sort(item[0])):
        if len(same) > 1:
            where = ", ".join(row.where for row in same)
            found.append(
                PortfolioWarning(
                    "duplicate",
                    f"{hypothesis_id} is used by {len(same)} hypotheses ({where}): "
                    "IDs must be unique (renumber one of them)",
                    (hypothesis_id,),
                )
            )
    return found


def ranked(rows: Iterable[Row], statuses: tuple[str, ...] | None = BACKLOG) -> list[Row]:
    """Readable plans in the given statuses (None: all), highest RICE first, ties by ID."""
    chosen = [row for row in rows if row.plan and (statuses is None or row.plan.status in statuses)]
    return sorted(chosen, key=lambda row: rank_key(row.plan))  # type: ignore[arg-type]


def _id_sort(hypothesis_id: str | None) -> int:
    if hypothesis_id is None:
        return 1 << 62
    try:
        return id_number(hypothesis_id)
    except ValueError:
        return 1 << 62


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"
