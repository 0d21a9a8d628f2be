"""Level 1, plan: schema, ranges, required sections and roles, with the strict rules."""

from __future__ import annotations

from typing import Any

from researchflow.base.names import PLAN_FILE
from researchflow.base.problems import Problem
from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged

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
        from researchflow.documents.programme import serves_problems
        from researchflow.documents.statements import load_statements

        statements = load_statements(ctx.config)
        problems += serves_problems(document.front_matter, document, ctx.rel(PLAN_FILE), statements)
        if ctx.plan is not None:
            from researchflow.process.steproles import team_review_problems

            needed = ctx.config.review.min_approvals  # the target branch's, in a pipeline
            line = document.line_of("approval")
            problems += team_review_problems(ctx.plan, line, ctx.rel(PLAN_FILE), needed)
            problems += _lifecycle(ctx, document)
    return judged(ctx.id, LEVEL, problems, "schema, sections, roles and the metrics it serves")


def _lifecycle(ctx: HypothesisContext, document: Any) -> list[Problem]:
    """Each lifecycle step by its role, a concluded hypothesis signed off, and each step or
    team-review approval the merge request added committed by the person it names."""
    from researchflow.process.steproles import entry_authors, lifecycle_problems
    from researchflow.verdicts.history import IdentityRules

    shown = ctx.rel(PLAN_FILE)
    problems = lifecycle_problems(ctx.plan, document.line_of("lifecycle"), shown)
    rules = IdentityRules(ctx.config.people_map)
    for key in ("lifecycle", "reviews"):
        if getattr(ctx.plan, key):
            problems += entry_authors(ctx.history.commits, rules, shown, key)
    return problems
