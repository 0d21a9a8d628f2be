"""`rflow approve`: a reviewer who is not the author pre-registers the plan.

Writes `approval: {by, at, digest}` and `status: approved` into plan.qmd, editing only
those front-matter lines. It commits nothing: the reviewer commits (and pushes) the
approval like any other review change, with the pre-commit hooks watching.
"""

from __future__ import annotations

from researchflow.adapters.git import acting_user
from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen
from researchflow.base.output import attributes
from researchflow.documents.config import Config
from researchflow.documents.frontmatter import set_fields
from researchflow.documents.plan import Plan
from researchflow.documents.project import shown_path
from researchflow.documents.registration import digest, effective_digest
from researchflow.process import hypotheses
from researchflow.process.steproles import Actor, reviewer_problem
from researchflow.verdicts.evidence import parse_time


@frozen
class ApproveResult:
    hypothesis_id: str
    path: str
    by: str
    at: str
    digest: str
    field: str = "approval"  # or `reapprovals[N]`: a re-approval after a deviation
    count: int = 1  # reviewers who approved so far (team review: `review.min_approvals`)
    needed: int = 1

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.hypothesis_id,
            **attributes(self, "path", "by", "at", "digest", "field"),
            "approvals": f"{self.count}/{self.needed}",
        }

    def to_text(self) -> str:
        if self.field.startswith("reviews"):
            return (
                f"{self.hypothesis_id} approved by {self.by}: {self.count} of the {self.needed} "
                "reviewers the team requires; the plan stays in review until another approves\n"
                f"commit it: git commit -m 'Review {self.hypothesis_id}' {self.path}"
            )
        if self.field != "approval":
            return (
                f"{self.hypothesis_id} re-approved by {self.by} as {self.field} "
                f"({self.digest[:19]}…): runs from now on are confirmatory for the amended plan\n"
                f"commit it: git commit -m 'Re-approve {self.hypothesis_id}' {self.path}"
            )
        return (
            f"{self.hypothesis_id} approved by {self.by} ({self.digest[:19]}…)\n"
            f"commit it: git commit -m 'Approve {self.hypothesis_id}' {self.path}"
        )


def approve(config: Config, hypothesis_id: str | None) -> ApproveResult:
    found_id, folder = hypotheses.resolve_hypothesis(config, hypothesis_id)
    path = hypotheses.plan_path(folder)
    shown = shown_path(path)
    result = hypotheses.read_plan_file(path, config)
    status = result.document.front_matter.get("status") if result.document else None
    if status == "draft":
        raise UserError(
            f"{shown}: status: {found_id} is still a draft (finish the plan, set "
            "'status: review', commit it, then ask a reviewer to approve)"
        )
    plan, document = hypotheses.require_valid(result)
    reapproving = plan.approval is not None and pending_deviation(plan)
    if not reapproving and (plan.approval is not None or plan.status != "review"):
        already = (
            f"already approved by {plan.approval.by} at {plan.approval.at}"
            if plan.approval
            else f"status is {plan.status}"
        )
        raise UserError(
            f"{shown}: status: {found_id} is {already} (only a plan in review can be approved; "
            "record later changes with `rflow deviate`, which a reviewer may then re-approve)"
        )
    if reapproving and plan.status not in REAPPROVABLE:
        raise UserError(
            f"{shown}: status: {found_id} is {plan.status} (a deviation can be re-approved "
            f"only while the work is {', '.join(REAPPROVABLE)})"
        )
    user = acting_user(config.root)
    _check_approver(plan, user, shown)
    if not reapproving:
        _require_agreed_problem(config, plan)
    current = digest(document, config.sections)
    if reapproving and current != effective_digest(plan):
        raise UserError(
            f"{shown}: deviations: the plan changed after its last deviation (record the "
            f"change with `rflow deviate {found_id}` first, then re-approve)"
        )
    record = {"by": user, "at": hypotheses.utc_now(), "digest": current}
    needed = config.review.min_approvals
    if not reapproving and needed > 1:
        earlier = [r.by for r in plan.reviews if r.digest == current]
        if user in earlier:
            raise UserError(
                f"{shown}: reviews: {user} approved this plan already (the team needs "
                f"{needed} different reviewers: ask another of {', '.join(plan.roles.reviewers)})"
            )
        if len(set(earlier)) + 1 < needed:
            existing = document.front_matter.get("reviews") or []
            text = set_fields(document.text, {"reviews": [*existing, record]})
            hypotheses.write_plan_checked(path, text, config)
            field = f"reviews[{len(existing)}]"
            return ApproveResult(
                found_id, shown, user, record["at"], current, field, len(set(earlier)) + 1, needed
            )
    if reapproving:
        existing = document.front_matter.get("reapprovals") or []
        updates: dict[str, object] = {"reapprovals": [*existing, record]}
        field = f"reapprovals[{len(existing)}]"
    else:
        updates = {"status": "approved", "approval": record}
        field = "approval"
    text = set_fields(document.text, updates)
    hypotheses.write_plan_checked(path, text, config)
    return ApproveResult(found_id, shown, record["by"], record["at"], record["digest"], field)


REAPPROVABLE = ("approved", "running", "hold")


def pending_deviation(plan: Plan) -> bool:
    """A deviation was recorded after the last approval or re-approval."""
    if plan.approval is None or not plan.deviations:
        return False
    last = [plan.approval, *plan.reapprovals][-1]
    approved, deviated = parse_time(last.at), parse_time(plan.deviations[-1].at)
    return approved is not None and deviated is not None and deviated >= approved


def _require_agreed_problem(config: Config, plan: Plan) -> None:
    """No plan is approved while the problem statement it serves is still a draft."""
    from researchflow.documents.programme import draft_served
    from researchflow.documents.statements import load_statements

    draft = draft_served(plan.serves, load_statements(config))
    if draft is not None:
        raise UserError(
            f"{draft.path}: status: the problem statement {plan.id} serves is still a draft "
            "(the team agrees it first: answer every question and section, set "
            "'status: agreed' and commit it; then approve)"
        )


def _check_approver(plan: Plan, user: str, shown: str) -> None:
    """The approver is none of author, designer or executor, and a named reviewer (the
    name exactly as given: RFLOW_USER or git's user.name)."""
    refusal = reviewer_problem("approve", "approve", Actor(user, frozenset({user})), plan.roles)
    if refusal is not None:
        raise UserError(refusal.line(shown))
