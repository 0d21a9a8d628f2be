"""The portfolio across hypotheses: rows, age, timebox overrun, WIP warnings, ranking (pure).

The status, rank and board commands gather plan files from git and hand them here as
`PlanSource`s; everything below is a function of those bytes and today's date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

from researchflow.base import TYPE_CHECKING
from researchflow.base.frozen import asdict, field, frozen
from researchflow.base.names import id_from_name, id_number
from researchflow.documents.config import SectionsConfig
from researchflow.documents.plan import RICE_FACTORS, STATUSES, LifecycleEvent, Plan, Rice, rank_key
from researchflow.documents.plan_rules import read_plan
from researchflow.documents.programme import ProblemStatement
from researchflow.process.backlog import Idea
from researchflow.process.phases import current_phase
from researchflow.verdicts.evidence import parse_day
from researchflow.views.decision import NO_DECISION, read_decision
from researchflow.views.runs_count import count_runs

if TYPE_CHECKING:
    from typing import Any

# Work that has started (or may start) runs against its timebox; on hold the clock stops
TIMEBOXED = ("approved", "running", "hold")
# Not started yet: what `rflow rank` prioritises
BACKLOG = ("draft", "review", "approved")
BROKEN = "broken"
# Bump when Summary.to_dict changes shape, so remembered entries of the old shape are dropped
MEMO_FORMAT = 4


@frozen
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
    report: bytes | None = None  # report.qmd, None when absent
    report_oid: str = ""


@frozen
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
    started: dt.date  # the timebox runs from `start`, else the approval, else creation
    conclusion: str | None
    serves: tuple[str, ...] = ()
    approved_at: str | None = None
    approver: str | None = None
    reapprovals: int = 0
    lifecycle: tuple[LifecycleEvent, ...] = ()
    roles_reason: str | None = None
    validation: dict[str, Any] | None = None  # the online check after a confirmed result

    @property
    def phase(self) -> str | None:
        """The lifecycle phase entered last (`rflow phase`)."""
        return current_phase(self.lifecycle)

    @property
    def extended_days(self) -> int:
        """Days added to the timebox by `rflow extend`."""
        return sum(e.days or 0 for e in self.lifecycle if e.event == "extend")

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
            started=_start_date(plan) or _approval_date(plan) or plan.created,
            conclusion=plan.conclusion,
            serves=plan.serves,
            approved_at=plan.approval.at if plan.approval else None,
            approver=plan.approval.by if plan.approval else None,
            reapprovals=len(plan.reapprovals),
            lifecycle=plan.lifecycle,
            roles_reason=plan.roles.reason,
            validation=asdict(plan.validation) if plan.validation else None,
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
            "serves": list(self.serves),
            "approved_at": self.approved_at,
            "approver": self.approver,
            "reapprovals": self.reapprovals,
            "lifecycle": [asdict(event) for event in self.lifecycle],
            "roles_reason": self.roles_reason,
            "validation": self.validation,
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
        values["serves"] = tuple(values.get("serves") or ())
        values["lifecycle"] = tuple(LifecycleEvent(**e) for e in values.get("lifecycle") or ())
        return cls(**values)


def _start_date(plan: Plan) -> dt.date | None:
    start = next((e for e in plan.lifecycle if e.event == "start"), None)
    return parse_day(start.at) if start else None


def held_days(plan: Summary, today: dt.date) -> int:
    """Days spent on hold (hold → resume, or → today while still on hold): the timebox clock
    stops meanwhile."""
    total, since = 0, None
    for event in plan.lifecycle:
        moment = parse_day(event.at)
        if moment is None:
            continue
        if event.event == "hold" and since is None:
            since = moment
        elif event.event == "resume" and since is not None:
            total += (moment - since).days
            since = None
    if since is not None:
        total += (today - since).days
    return max(total, 0)


def _approval_date(plan: Plan) -> dt.date | None:
    if plan.approval is None:
        return None
    try:
        return dt.date.fromisoformat(str(plan.approval.at)[:10])
    except ValueError:
        return None


@frozen
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


@frozen
class Row:
    """One hypothesis as the team lead sees it; `plan` is None for a broken plan."""

    id: str | None
    source: PlanSource
    plan: Summary | None
    problem: str | None  # the first problem of the plan (the reason when broken)
    problem_count: int
    runs: int | None  # None: runs.yaml unreadable
    age_days: int | None
    overrun_days: int | None  # days past the timebox, approved/running/hold only
    decision: str | None = None  # the report's ship decision: ship | iterate | stop
    decision_reason: str | None = None
    held_days: int = 0
    review_days: int | None = None  # days waiting in review (status review only)
    shipped_result: str | None = None  # after a ship decision: the pilot or A/B result
    plan_b: str | None = None  # and what the team does if it disappoints

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
            "decision": self.decision,
            "decision_reason": self.decision_reason,
            "shipped_result": self.shipped_result,
            "plan_b": self.plan_b,
            "serves": list(plan.serves) if plan else [],
            "phase": plan.phase if plan else None,
            "held_days": self.held_days,
            "extended_days": plan.extended_days if plan else 0,
            "review_days": self.review_days,
            "roles_reason": plan.roles_reason if plan else None,
            "validation": plan.validation if plan else None,
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


@frozen
class PortfolioWarning:
    kind: str  # "wip" | "timebox" | "duplicate"
    message: str
    ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "ids": list(self.ids)}


@frozen
class Portfolio:
    rows: tuple[Row, ...]
    warnings: tuple[PortfolioWarning, ...]
    today: dt.date
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    statements: tuple[ProblemStatement, ...] = ()  # the programme(s) on the default branch
    ideas: tuple[Idea, ...] = ()  # backlog ideas not groomed yet (no branch, no folder)
    notes: tuple[str, ...] = ()  # what could not be read beside the plans (the backlog)

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


def item_score(item: Row | Idea) -> int:
    return item.score if isinstance(item, Idea) else (item.score or 0)


def overrun(plan: Summary, today: dt.date) -> int | None:
    """Days past `timebox_days` for approved/running/held work, the days on hold not
    counted; None when not timeboxed."""
    if plan.status not in TIMEBOXED or plan.timebox_days is None:
        return None
    elapsed = (today - plan.started).days - held_days(plan, today)
    return max(elapsed - plan.timebox_days, 0)


def build_row(
    source: PlanSource,
    reading: Reading,
    runs: int | None,
    today: dt.date,
    decision: tuple[str | None, ...] = (None, None, None, None),
) -> Row:
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
        decision[0],
        decision[1],
        held_days(plan, today),
        shipped_result=decision[2] if len(decision) > 2 else None,
        plan_b=decision[3] if len(decision) > 3 else None,
    )


def build_portfolio(
    sources: Iterable[PlanSource],
    sections: SectionsConfig,
    today: dt.date,
    known: Mapping[str, Any] | None = None,
    *,
    wip_limit: int = 1,
    warn: bool = True,
) -> Portfolio:
    """Rows for every source, sorted by ID, with the warnings.

    `known` maps blob keys to earlier Readings and runs counts; the returned Portfolio's
    `memo` holds every key used, ready to be remembered for the next call.
    """
    known = known or {}
    memo: dict[str, Any] = {}
    rows: list[Row] = []
    for source in sources:
        plan_key = _plan_key(source)
        reading = None
        if plan_key is not None and plan_key in known:
            try:
                reading = Reading.from_dict(known[plan_key])
                memo[plan_key] = known[plan_key]
            except (KeyError, TypeError, ValueError):
                reading = None
        if reading is None:
            reading = read_summary(source, sections)
        if plan_key and plan_key not in memo:
            memo[plan_key] = reading.to_dict()
        runs_key = f"runs:{source.runs_oid}" if source.runs_oid else None
        if runs_key and isinstance(known.get(runs_key), int):
            runs = known[runs_key]
        else:
            runs = count_runs(source.runs)
        if runs_key and runs is not None:
            memo[runs_key] = runs
        report_key = f"report:{source.report_oid}" if source.report_oid else None
        remembered = known.get(report_key) if report_key else None
        if isinstance(remembered, list) and len(remembered) == len(NO_DECISION):
            decision = tuple(remembered)
        else:
            decision = read_decision(source.report)
        if report_key:
            memo[report_key] = list(decision)
        rows.append(build_row(source, reading, runs, today, decision))
    rows.sort(key=lambda row: (_id_sort(row.id), row.source.branch))
    found = warnings(rows, wip_limit=wip_limit) if warn else []  # the caller may add facts first
    return Portfolio(tuple(rows), tuple(found), today, memo)


def _plan_key(source: PlanSource) -> str | None:
    return f"plan:{source.path}:{source.plan_oid}" if source.plan_oid else None


def grooming_warnings(
    ideas: Iterable[Idea], today: dt.date, grooming_max_days: int
) -> list[PortfolioWarning]:
    """Open ideas waiting longer than the team's grooming limit (held ones do not count)."""
    found: list[PortfolioWarning] = []
    for idea in ideas:
        waited = idea.waiting_days(today)
        if idea.state == "open" and waited > grooming_max_days:
            found.append(
                PortfolioWarning(
                    "grooming",
                    f"idea {idea.id} has waited {_days(waited)} to be groomed, longer than the "
                    f"team's {grooming_max_days} (groom it with `rflow groom {idea.id}`, or "
                    f"`rflow backlog hold|drop {idea.id} --reason ...`)",
                    (idea.id,),
                )
            )
    return found


def warnings(
    rows: Iterable[Row], *, wip_limit: int = 1, review_max_days: int | None = None
) -> list[PortfolioWarning]:
    """Work in progress beyond the limit per executor (held work does not count), running
    past the timebox, waiting too long in review, reused IDs."""
    rows = list(rows)
    found: list[PortfolioWarning] = []
    running: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.status == "running" and row.executor:
            running[row.executor].append(row.id or "?")
    for executor, ids in sorted(running.items()):
        if len(ids) > wip_limit:
            found.append(
                PortfolioWarning(
                    "wip",
                    f"{executor} is running {len(ids)} hypotheses ({', '.join(ids)}): "
                    f"work in progress is limited to {wip_limit} (finish one, or pause it "
                    "with `rflow hold ID --reason ...`)",
                    tuple(ids),
                )
            )
    for row in rows:
        if row.status == "running" and row.overrun_days and row.plan:
            found.append(
                PortfolioWarning(
                    "timebox",
                    f"{row.id} is running {_days(row.overrun_days)} past its "
                    f"{row.plan.timebox_days}-day timebox (conclude it, or lengthen the "
                    f"timebox with `rflow extend {row.id} --days N --reason ...`)",
                    (row.id or "?",),
                )
            )
    for row in rows:
        waited = row.review_days
        if (
            review_max_days is not None
            and row.status == "review"
            and (waited or 0) > review_max_days
        ):
            found.append(
                PortfolioWarning(
                    "review",
                    f"{row.id} has waited {_days(waited or 0)} in review, longer than the "
                    f"team's {review_max_days} (ask a reviewer to approve it, or send it "
                    "back to draft)",
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
