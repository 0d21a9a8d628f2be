"""The portfolio across hypotheses: rows, age, timebox overrun, WIP warnings, ranking (pure).

The status, rank and board commands gather plan files from git and hand them here as
`PlanSource`s; everything below is a function of those bytes and today's date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from researchflow import safeyaml
from researchflow.config import SectionsConfig
from researchflow.naming import id_from_name, id_number
from researchflow.plan import RICE_FACTORS, STATUSES, Plan, Rice, rank_key, read_plan

# Work that has started (or may start) runs against its timebox
TIMEBOXED = ("approved", "running")
# Not started yet: what `rflow rank` prioritises
BACKLOG = ("draft", "review", "approved")
BROKEN = "broken"
# Bump when Summary.to_dict changes shape, so remembered entries of the old shape are dropped
MEMO_FORMAT = 2


@dataclass(frozen=True)
class PlanSource:
    """One hypothesis folder as found in git: where, and the raw bytes of its files."""

    folder: str  # `H-007-graded-target`
    path: str  # `research/H-007-graded-target/plan.qmd`
    plan: bytes | None  # None: no plan.qmd there
    runs: bytes | None = None  # runs.yaml, None when absent
    branch: str = ""  # `hyp/H-007-…`, `origin/hyp/H-007-…`, or the default branch (`main`)
    merged: bool = False  # read from the default branch: no hypothesis branch left
    plan_oid: str = ""  # git blob ids: unchanged blobs need not be parsed again
    runs_oid: str = ""


@dataclass(frozen=True)
class Summary:
    """What the portfolio needs from one plan: small enough to remember by blob id."""

    id: str
    title: str
    status: str
    outcome: str | None
    executor: str | None
    rice: Rice
    created: dt.date
    timebox_days: int | None
    started: dt.date  # the timebox runs from approval (when work may start), else creation
    conclusion: str | None

    @property
    def score(self) -> int:
        return self.rice.score

    @classmethod
    def from_plan(cls, plan: Plan) -> Summary:
        return cls(
            id=plan.id,
            title=plan.title,
            status=plan.status,
            outcome=plan.outcome,
            executor=plan.roles.executor,
            rice=plan.rice,
            created=plan.created,
            timebox_days=plan.timebox_days,
            started=_approval_date(plan) or plan.created,
            conclusion=plan.conclusion,
        )

    def to_dict(self) -> dict[str, Any]:
        rice = self.rice
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "outcome": self.outcome,
            "executor": self.executor,
            "rice": [rice.reach, rice.impact, rice.confidence, rice.effort],
            "created": self.created.isoformat(),
            "timebox_days": self.timebox_days,
            "started": self.started.isoformat(),
            "conclusion": self.conclusion,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        values = dict(data)
        rice = values["rice"]
        if not isinstance(rice, list) or len(rice) != 4 or not all(type(v) is int for v in rice):
            raise ValueError(f"not a remembered RICE: {rice!r}")
        values["rice"] = Rice(*rice)
        values["created"] = dt.date.fromisoformat(values["created"])
        values["started"] = dt.date.fromisoformat(values["started"])
        return cls(**values)


def _approval_date(plan: Plan) -> dt.date | None:
    if plan.approval is None:
        return None
    try:
        return dt.date.fromisoformat(str(plan.approval.at)[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class Reading:
    """One plan file read: its summary, or None when broken, and its first problem."""

    summary: Summary | None
    problem: str | None
    problem_count: int

    def to_dict(self) -> dict[str, Any]:
        summary = self.summary.to_dict() if self.summary else None
        return {"summary": summary, "problem": self.problem, "count": self.problem_count}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reading:
        summary = Summary.from_dict(data["summary"]) if data["summary"] else None
        return cls(summary, data["problem"], data["count"])


def read_summary(source: PlanSource, sections: SectionsConfig) -> Reading:
    """Parse and validate one plan with `read_plan`; a missing or broken plan is a Reading too."""
    if source.plan is None:
        if id_from_name(source.folder) is None and not source.merged:
            problem = (
                f"{source.branch}: branch: the name does not start with a hypothesis ID "
                "(rename it to <prefix>H-NNN-slug)"
            )
        else:
            problem = f"{source.path}:0: file: not found (commit the plan, or delete the branch)"
        return Reading(None, problem, 1)
    try:
        result = read_plan(source.plan, source.path, sections)
    except (ValueError, TypeError, RecursionError, OverflowError) as error:
        # one strange branch must never abort the listing for the whole team
        problem = f"{source.path}:1: file: unreadable ({type(error).__name__}; fix the plan)"
        return Reading(None, problem, 1)
    first = str(result.problems[0]) if result.problems else None
    summary = Summary.from_plan(result.plan) if result.plan else None
    return Reading(summary, first, len(result.problems))


@dataclass(frozen=True)
class Row:
    """One hypothesis as the team lead sees it; `plan` is None for a broken plan."""

    id: str | None
    source: PlanSource
    plan: Summary | None
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
        return self.plan.executor if self.plan else None

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


def _rice_json(plan: Summary | None) -> dict[str, int] | None:
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
    memo: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

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
        data = safeyaml.load(raw)
    except yaml.YAMLError:
        return None
    if data is None:
        return 0
    if not isinstance(data, dict):
        return None
    runs = data.get("runs") or []
    return len(runs) if isinstance(runs, list) else None


def overrun(plan: Summary, today: dt.date) -> int | None:
    """Days past `timebox_days` for approved/running work; None when not timeboxed."""
    if plan.status not in TIMEBOXED or plan.timebox_days is None:
        return None
    return max((today - plan.started).days - plan.timebox_days, 0)


def build_row(source: PlanSource, reading: Reading, runs: int | None, today: dt.date) -> Row:
    plan = reading.summary
    if plan is None:
        folder_id = id_from_name(source.folder)
        return Row(
            folder_id, source, None, reading.problem, reading.problem_count, runs, None, None
        )
    age = (today - plan.created).days
    return Row(
        plan.id,
        source,
        plan,
        reading.problem,
        reading.problem_count,
        runs,
        age,
        overrun(plan, today),
    )


def build_portfolio(
    sources: Iterable[PlanSource],
    sections: SectionsConfig,
    today: dt.date,
    known: Mapping[str, Any] | None = None,
) -> Portfolio:
    """Rows for every source, sorted by ID, with the warnings.

    `known` maps blob keys to earlier Readings and runs counts; the returned Portfolio's
    `memo` holds every key used, ready to be remembered for the next call.
    """
    known = known or {}
    memo: dict[str, Any] = {}
    rows: list[Row] = []
    for source in sources:
        plan_key = f"plan:{source.path}:{source.plan_oid}" if source.plan_oid else None
        reading = None
        if plan_key and plan_key in known:
            try:
                reading = Reading.from_dict(known[plan_key])
                memo[plan_key] = known[plan_key]
            except (KeyError, TypeError, ValueError):
                reading = None
        if reading is None:
            reading = read_summary(source, sections)
            if plan_key:
                memo[plan_key] = reading.to_dict()
        runs_key = f"runs:{source.runs_oid}" if source.runs_oid else None
        if runs_key and isinstance(known.get(runs_key), int):
            runs = known[runs_key]
        else:
            runs = count_runs(source.runs)
        if runs_key and runs is not None:
            memo[runs_key] = runs
        rows.append(build_row(source, reading, runs, today))
    rows.sort(key=lambda row: (_id_sort(row.id), row.source.branch))
    return Portfolio(tuple(rows), tuple(warnings(rows)), today, memo)


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
    # rank_key needs only .score and .id, which a Summary has too
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
