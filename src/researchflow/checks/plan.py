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
    problems = list(ctx.plan_result.problems)
    document = ctx.plan_result.document
    if document is not None:
        from researchflow.programme import serves_problems
        from researchflow.statements import load_statements

        statements = load_statements(ctx.config)
        problems += serves_problems(document.front_matter, document, ctx.rel(PLAN_FILE), statements)
        if ctx.plan is not None:
            from researchflow.steproles import team_review_problems

            needed = ctx.config.review.min_approvals  # the target branch's, in a pipeline
            line = document.line_of("approval")
            problems += team_review_problems(ctx.plan, line, ctx.rel(PLAN_FILE), needed)
    return judged(ctx.id, LEVEL, problems, "schema, sections, roles and the metrics it serves")
