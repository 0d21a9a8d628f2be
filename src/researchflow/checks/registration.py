"""Level 2, registration: approved by a reviewer other than the author before the evidence
was made, and registered content unchanged since, except through recorded deviations.

The plan file is a claim; the authority is its history from the merge-base with the target
branch to HEAD (history.py), and, in the stricter identity modes, GitLab's record of MR
approvals or the approval commit's signature.
"""

from __future__ import annotations

from collections.abc import Callable

from researchflow.base.names import PLAN_FILE, RUNS_FILE
from researchflow.base.problems import Problem
from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged, skipped

LEVEL = "registration"


def check(ctx: HypothesisContext) -> CheckResult:
    from researchflow.documents.registration import registration_problems

    plan = ctx.plan
    document = ctx.plan_result.document
    if document is None:  # the plan level reports an unreadable plan
        return skipped(ctx.id, LEVEL, "the plan cannot be read")
    shown = ctx.rel(PLAN_FILE)
    problems = list(registration_problems(plan, document, shown, ctx.config.sections))
    problems.extend(history_problems(ctx))
    if plan.approval is None:
        if ctx.runs:
            problems.append(
                Problem(
                    ctx.rel(RUNS_FILE),
                    1,
                    "approval",
                    f"{len(ctx.runs)} run(s) linked but the plan was never approved",
                    f"have a reviewer run `rflow approve {ctx.id}`, then run the experiment again",
                )
            )
        return judged(ctx.id, LEVEL, _unique(problems), "not approved yet")
    deviations = len(plan.deviations)
    detail = f"approved by {plan.approval.by}; {deviations} deviation(s) recorded"
    mode = ctx.config.identity.mode
    if mode != "author":
        detail += f"; identity verified by {mode}"
    return judged(ctx.id, LEVEL, _unique(problems), detail)


def history_problems(ctx: HypothesisContext) -> list[Problem]:
    """What the replayed history and the identity mode say, located in plan.qmd."""
    from researchflow.checks import identity

    shown = ctx.rel(PLAN_FILE)
    document = ctx.plan_result.document
    history = ctx.history

    def located(field: str, message: str, fix: str) -> Problem:
        line = document.line_of(field) if document is not None else 1
        return Problem(shown, line, field, message, fix)

    if history.failure is not None:
        return [located("approval", history.failure, "fix the checkout and run the check again")]
    problems = [located(f.field, f.message, f.fix) for f in history.replay.findings]
    problems.extend(_committed(ctx, located))
    records = identity.approvals_to_verify(history.replay.records)
    mode = ctx.config.identity.mode
    if mode == "gitlab":
        findings = identity.gitlab_findings(ctx.config, records, ctx.env)
    elif mode == "signature":
        findings = identity.signature_findings(ctx.config, records, history.base)
    else:
        findings = []
    problems.extend(located(f.field, f.message, f.fix) for f in findings)
    return problems


def _committed(
    ctx: HypothesisContext, located: Callable[[str, str, str], Problem]
) -> list[Problem]:
    """The records in the file are the ones history introduced: none uncommitted."""
    plan = ctx.plan
    last = next((c.plan for c in reversed(ctx.history.commits) if c.plan is not None), None)
    problems = []
    for field, now, then in (
        ("approval", plan.approval, last.approval if last else None),
        ("deviations", plan.deviations, last.deviations if last else ()),
        ("reapprovals", plan.reapprovals, last.reapprovals if last else ()),
    ):
        if now != then:
            problems.append(
                located(
                    field,
                    f"plan.qmd's {field} differ from the last commit of the plan: the gate "
                    "judges only what git records",
                    "commit the plan (the reviewer commits their own approval)",
                )
            )
    return problems


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    result = []
    for problem in problems:
        key = (problem.field, problem.message)
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return result
