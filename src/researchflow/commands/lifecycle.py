"""`rflow start / hold / resume / conclude / abandon`: move a plan through its life.

approved → running ⇄ hold → reported (by `rflow report`) → concluded; any unfinished
plan → abandoned. Each command sets `status`, appends one `{event, at, by, ...}` entry to
`lifecycle:` (append-only), edits only those front-matter lines (and `outcome` /
`conclusion` when concluding), and commits nothing, like `rflow approve`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import field, frozen
from researchflow.base.names import REPORT_FILE
from researchflow.base.output import attributes
from researchflow.documents.config import Config
from researchflow.documents.document import Document, DocumentError, parse_document
from researchflow.documents.frontmatter import set_fields
from researchflow.documents.plan import OUTCOMES, STATUSES
from researchflow.documents.project import shown_path
from researchflow.process import hypotheses
from researchflow.process.steproles import (
    Actor,
    Refusal,
    reviewer_problem,
    step_problem,
    timebox_problem,
    wip_problem,
)
from researchflow.verdicts.outcome import combined, disagreement, report_verdicts

DECISIONS = ("ship", "iterate", "stop")
FINISHED = ("concluded", "abandoned")


@frozen
class LifecycleResult:
    hypothesis_id: str
    path: str
    event: str
    before: str
    after: str
    record: dict[str, Any]
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.hypothesis_id,
            **attributes(self, "path", "event"),
            "status_before": self.before,
            "status": self.after,
            "lifecycle": self.record,
        }

    def to_text(self) -> str:
        lines = [f"{self.hypothesis_id}: {self.before} → {self.after} ({self.event})"]
        lines += list(self.notes)
        lines.append(
            f"commit it: git commit -m '{self.event.capitalize()} {self.hypothesis_id}' {self.path}"
        )
        return "\n".join(lines)


def start(
    config: Config, hypothesis_id: str | None, override: str | None = None
) -> LifecycleResult:
    """approved → running: the work begins (and the timebox clock with it). Past the
    executor's WIP limit only with a recorded `override` reason."""
    return _move(config, hypothesis_id, "start", allowed=("approved",), override=override)


def hold(config: Config, hypothesis_id: str | None, reason: str) -> LifecycleResult:
    """running → hold: paused; it leaves the WIP count and the timebox clock stops."""
    return _move(config, hypothesis_id, "hold", allowed=("running",), reason=_reason(reason))


def resume(config: Config, hypothesis_id: str | None) -> LifecycleResult:
    """hold → running."""
    return _move(config, hypothesis_id, "resume", allowed=("hold",))


def extend(
    config: Config,
    hypothesis_id: str | None,
    days: int,
    reason: str,
    override: str | None = None,
) -> LifecycleResult:
    """Lengthen the timebox by `days`: `timebox_days` is not registered content, so no
    deviation is needed and the runs stay confirmatory; the extension is on record. Past
    `timebox_max_days` only with a recorded `override` reason."""
    if days < 1:
        raise UserError(f"--days: {days} is not allowed (a whole number of days >= 1)")
    opened = hypotheses.open_plan(config, hypothesis_id)
    found_id, plan = opened.id, opened.plan
    before = plan.timebox_days or 0
    return _move(
        config,
        found_id,
        "extend",
        allowed=("approved", "running", "hold"),
        reason=_reason(reason),
        extra={"days": days},
        fields={"timebox_days": before + days},
        notes=(f"timebox {before} → {before + days} days",),
        override=override,
    )


def signoff(config: Config, hypothesis_id: str | None) -> LifecycleResult:
    """A reviewer (none of author, designer, executor) records that the results were
    reviewed: `conclude` needs it, and the status stays reported."""
    return _move(config, hypothesis_id, "signoff", allowed=("reported",))


def abandon(config: Config, hypothesis_id: str | None, reason: str) -> LifecycleResult:
    """Any unfinished plan → abandoned, with the reason on record."""
    allowed = tuple(s for s in STATUSES if s not in FINISHED)
    return _move(config, hypothesis_id, "abandon", allowed=allowed, reason=_reason(reason))


def conclude(
    config: Config,
    hypothesis_id: str | None,
    *,
    conclusion: str,
    outcome: str | None = None,
    decision: str | None = None,
    decision_reason: str | None = None,
) -> LifecycleResult:
    """reported → concluded: the outcome (default: the report's verdicts) and one line."""
    conclusion = " ".join(conclusion.split())
    if not conclusion:
        raise UserError("--conclusion: empty (say in one line what was learned)")
    if outcome is not None and outcome not in OUTCOMES:
        raise UserError(f"--outcome: {outcome!r} is not allowed (use {', '.join(OUTCOMES)})")
    found_id, folder = hypotheses.resolve_hypothesis(config, hypothesis_id)
    _require_signoff(config, found_id, folder)
    report_path = folder / REPORT_FILE
    shown_report = shown_path(report_path)
    report_text, report_doc = _read_report(report_path, found_id)
    verdicts = report_verdicts(report_doc.front_matter, report_text)
    notes: list[str] = []
    if outcome is None:
        if not verdicts:
            raise UserError(
                f"{shown_report}: verdicts: none found (refresh it with `rflow report "
                f"{found_id} --update`, or pass --outcome)"
            )
        outcome = combined(verdicts)
        notes.append(f"outcome {outcome}: from the report's verdicts")
    problem = disagreement(outcome, verdicts)
    if problem:
        raise UserError(
            f"--outcome: {problem} (use --outcome {combined(verdicts)}: the outcome follows "
            "from the report's verdicts)"
        )
    report_updates = _decision_updates(report_doc, shown_report, decision, decision_reason)
    new_report = set_fields(report_text, report_updates) if report_updates else None
    result = _move(
        config,
        found_id,
        "conclude",
        allowed=("reported",),
        extra={"outcome": outcome},
        fields={"outcome": outcome, "conclusion": conclusion},
        notes=tuple(notes),
    )
    if new_report is not None:
        write_atomic(report_path, new_report)
        result = LifecycleResult(
            result.hypothesis_id,
            f"{result.path} {shown_report}",
            result.event,
            result.before,
            result.after,
            result.record,
            result.notes,
        )
    return result


def _read_report(path: Path, found_id: str) -> tuple[str, Document]:
    """report.qmd's text and document; one line naming the file when it cannot be read."""
    shown = shown_path(path)
    if not path.is_file():
        raise UserError(
            f"{shown}: not found ({found_id} has no report yet: run `rflow report {found_id}` "
            "first)"
        )
    text = path.read_text(encoding="utf-8")
    try:
        return text, parse_document(text)
    except DocumentError as error:
        raise UserError(f"{shown}:{error.line}: {error.field}: {error.message}") from None


def _as_named(user: Actor, plan: Any) -> str:
    """The acting user by the name the plan knows them by (`alice`, not `Alice Author`), so
    the record and the gate's re-check of it speak of the same person."""
    roles = plan.roles
    named = [roles.author, roles.designer, roles.executor, *roles.reviewers]
    return next((name for name in named if name and user.is_(name)), user.name)


def _require_signoff(config: Config, found_id: str, folder: Any) -> None:
    path = hypotheses.plan_path(folder)
    plan, _ = hypotheses.require_valid(hypotheses.read_plan_file(path, config))
    if plan.status == "reported" and not any(e.event == "signoff" for e in plan.lifecycle):
        names = ", ".join(plan.roles.reviewers) or "a reviewer"
        raise UserError(
            f"{shown_path(path)}: lifecycle: {found_id}'s results are not signed off (ask "
            f"{names} to review the report and run `rflow signoff {found_id}`, then commit it)"
        )


def _decision_updates(
    report: Document, shown: str, decision: str | None, reason: str | None
) -> dict[str, str]:
    """The report's `decision` / `decision_reason` to write; refuse a conclusion without."""
    updates: dict[str, str] = {}
    if decision is not None:
        if decision not in DECISIONS:
            raise UserError(f"--decision: {decision!r} is not allowed (use {', '.join(DECISIONS)})")
        updates["decision"] = decision
    if reason is not None:
        reason = " ".join(reason.split())
        if not reason:
            raise UserError("--decision-reason: empty (say in one line why)")
        updates["decision_reason"] = reason
    fm = report.front_matter
    if (decision or fm.get("decision")) is None:
        raise UserError(
            f"{shown}: decision: missing (pass --decision {'|'.join(DECISIONS)} "
            "--decision-reason TEXT: should the model go to production?)"
        )
    if (reason or fm.get("decision_reason")) is None:
        raise UserError(f"{shown}: decision_reason: missing (pass --decision-reason TEXT)")
    return updates


def _reason(reason: str, option: str = "--reason") -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise UserError(f"{option}: empty (say why, in one sentence)")
    return reason


def _over_limit(
    config: Config, event: str, found_id: str, plan: Any, fields: dict[str, Any]
) -> Refusal | None:
    """The refusal when `start` passes the WIP limit or `extend` the longest timebox."""
    if event == "extend":
        return timebox_problem(fields["timebox_days"], config.timebox_max_days)
    executor = plan.roles.executor
    if event != "start" or not executor:
        return None
    from researchflow.views.portfolio_reader import collect

    rows = collect(config).rows
    running = sorted(
        {r.id for r in rows if r.status == "running" and r.executor == executor and r.id}
        - {found_id}
    )
    return wip_problem(executor, running, config.wip_limit)


_ADVICE = {
    "draft": "finish the plan, set 'status: review' and have a reviewer run `rflow approve`",
    "review": "a reviewer who is not the author runs `rflow approve {id}` first",
    "approved": "start it first: `rflow start {id}`",
    "running": "it is already running",
    "hold": "resume it first: `rflow resume {id}`",
    "reported": "it already has a report: conclude it with `rflow conclude {id}`",
    "concluded": "it is concluded; open a new hypothesis for follow-up work",
    "abandoned": "it was abandoned; open a new hypothesis to take the idea up again",
}
_NEEDS = {
    "start": "approved",
    "hold": "running",
    "resume": "on hold",
    "conclude": "reported",
    "abandon": "unfinished",
    "extend": "approved, running or on hold",
    "signoff": "reported",
    "phase": "unfinished",
}


def _move(
    config: Config,
    hypothesis_id: str | None,
    event: str,
    *,
    allowed: tuple[str, ...],
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    notes: tuple[str, ...] = (),
    override: str | None = None,
) -> LifecycleResult:
    opened = hypotheses.open_plan(config, hypothesis_id)
    found_id, path, plan, document = opened.id, opened.path, opened.plan, opened.document
    shown = shown_path(path)
    if plan.status not in allowed:
        advice = _ADVICE.get(plan.status, "").format(id=found_id)
        raise UserError(
            f"{shown}: status: {found_id} is {plan.status}, and only a plan that is "
            f"{_NEEDS[event]} can be {_past(event)} ({advice})"
        )
    if event == "start" and plan.approval is None:  # validate refuses it too; say it plainly
        raise UserError(f"{shown}: approval: {found_id} is not approved (`rflow approve` first)")
    user = hypotheses.current_actor(config)
    override = _reason(override, "--override") if override is not None else None
    refusal = (
        reviewer_problem("sign off on", "signoff", user, plan.roles)
        if event == "signoff"
        else step_problem(event, user, plan.roles)
    )
    over = _over_limit(config, event, found_id, plan, fields or {})
    if refusal is None and override is None:
        refusal = over
    if refusal is not None:
        raise UserError(refusal.line(shown))
    record: dict[str, Any] = {
        "event": event,
        "at": hypotheses.utc_now(),
        "by": _as_named(user, plan),
    }
    if reason is not None:
        record["reason"] = reason
    record.update(extra or {})
    if over is not None and override is not None:
        record["override"] = override
        notes = (*notes, f"limit passed on record: {override}")
    after = _STATUS_AFTER.get(event, plan.status)  # extend keeps the status
    existing = document.front_matter.get("lifecycle") or []
    updates: dict[str, Any] = {"status": after, **(fields or {}), "lifecycle": [*existing, record]}
    text = set_fields(document.text, updates)
    hypotheses.write_plan_checked(path, text, config)
    return LifecycleResult(found_id, shown, event, plan.status, after, record, notes)


_STATUS_AFTER = {
    "start": "running",
    "hold": "hold",
    "resume": "running",
    "conclude": "concluded",
    "abandon": "abandoned",
}


def _past(event: str) -> str:
    return {
        "start": "started",
        "hold": "put on hold",
        "resume": "resumed",
        "conclude": "concluded",
        "abandon": "abandoned",
        "extend": "extended",
        "signoff": "signed off",
        "phase": "moved to a phase",
    }[event]


@frozen
class ShippedResult:
    hypothesis_id: str
    path: str
    record: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.hypothesis_id, "path": self.path, "shipped": self.record}

    def to_text(self) -> str:
        return (
            f"{self.hypothesis_id}: after shipping: {self.record['result']} "
            f"(plan B: {self.record['plan_b']})\n"
            f"commit it: git commit -m 'Shipped {self.hypothesis_id}: pilot result' {self.path}"
        )


def shipped(config: Config, hypothesis_id: str | None, result: str, plan_b: str) -> ShippedResult:
    """After a concluded `ship` decision: the pilot or A/B result and plan B, in report.qmd."""
    result, plan_b = _reason(result, "--result"), _reason(plan_b, "--plan-b")
    opened = hypotheses.open_plan(config, hypothesis_id)
    found_id, plan = opened.id, opened.plan
    report_path = opened.folder / REPORT_FILE
    shown = shown_path(report_path)
    if plan.status != "concluded":
        raise UserError(
            f"{shown_path(opened.path)}: status: {found_id} is {plan.status} (a pilot "
            f"result follows a concluded ship decision: `rflow conclude {found_id}` first)"
        )
    text, document = _read_report(report_path, found_id)
    if document.front_matter.get("decision") != "ship":
        raise UserError(
            f"{shown}: decision: {found_id} was not shipped (only a ship decision has a pilot "
            "or A/B result to record)"
        )
    record = {
        "result": result,
        "plan_b": plan_b,
        "by": hypotheses.current_actor(config).name,
        "at": hypotheses.utc_now(),
    }
    write_atomic(report_path, set_fields(text, {"shipped": record}))
    return ShippedResult(found_id, shown, record)


def phase(config: Config, hypothesis_id: str | None, name: str) -> LifecycleResult:
    """Enter a lifecycle phase (research, data-exploration, modelling, …): the time spent
    in each is counted from these entries; the deliverable of the phase is named."""
    from researchflow.base.strictkeys import suggestion
    from researchflow.process.phases import current_phase

    phases = dict(config.phases)
    wanted = " ".join(name.split())
    if wanted not in phases:
        hint = suggestion(wanted, phases)
        known = ", ".join(phases)
        fix = hint if hint.startswith("did you mean") else f"use one of: {known}"
        raise UserError(f"PHASE: {wanted!r} is not one of the team's phases ({fix})")
    opened = hypotheses.open_plan(config, hypothesis_id)
    found_id, plan = opened.id, opened.plan
    before = current_phase(plan.lifecycle)
    if before == wanted:
        raise UserError(f"PHASE: {found_id} is already in {wanted} (name the next phase)")
    return _move(
        config,
        found_id,
        "phase",
        allowed=tuple(s for s in STATUSES if s not in FINISHED),
        extra={"phase": wanted},
        notes=(f"phase {before or 'none'} → {wanted}: deliverable: {phases[wanted]}",),
    )
