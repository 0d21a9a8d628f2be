"""Level 2, registration: approved by someone other than the author before the evidence
was made, and registered content unchanged since, except through recorded deviations."""

from __future__ import annotations

from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged, skipped
from researchflow.problems import Problem
from researchflow.project import PLAN_FILE, RUNS_FILE

LEVEL = "registration"


def check(ctx: HypothesisContext) -> CheckResult:
    from researchflow.registration import registration_problems

    plan = ctx.plan
    document = ctx.plan_result.document
    if document is None:  # the plan level reports an unreadable plan
        return skipped(ctx.id, LEVEL, "the plan cannot be read")
    problems = list(registration_problems(plan, document, ctx.rel(PLAN_FILE), ctx.config.sections))
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
        return judged(ctx.id, LEVEL, problems, "not approved yet")
    deviations = len(plan.deviations)
    detail = f"approved by {plan.approval.by}; {deviations} deviation(s) recorded"
    return judged(ctx.id, LEVEL, problems, detail)
