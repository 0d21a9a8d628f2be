"""Level 1, plan: schema, ranges, required sections and roles, with the strict rules."""

from __future__ import annotations

from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged
from researchflow.problems import Problem
from researchflow.project import PLAN_FILE

LEVEL = "plan"


def check(ctx: HypothesisContext) -> CheckResult:
    if not ctx.plan_path.is_file():
        problem = Problem(
            ctx.rel(PLAN_FILE), 0, "file", "not found", "restore plan.qmd or remove the folder"
        )
        return judged(ctx.id, LEVEL, [problem])
    # drafts too: a plan whose sections still hold template text may not merge
    return judged(ctx.id, LEVEL, list(ctx.plan_result.problems), "schema, sections and roles")
