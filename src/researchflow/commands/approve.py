"""`rflow approve`: a reviewer who is not the author pre-registers the plan.

Writes `approval: {by, at, digest}` and `status: approved` into plan.qmd, editing only
those front-matter lines. It commits nothing: the reviewer commits (and pushes) the
approval like any other review change, with the pre-commit hooks watching.
"""

from __future__ import annotations

from dataclasses import dataclass

from researchflow.adapters.git import acting_user
from researchflow.config import Config
from researchflow.errors import UserError
from researchflow.frontmatter import set_fields
from researchflow.hypotheses import (
    plan_path,
    read_plan_file,
    require_valid,
    resolve_hypothesis,
    utc_now,
    write_plan_checked,
)
from researchflow.project import shown_path
from researchflow.registration import digest


@dataclass(frozen=True)
class ApproveResult:
    hypothesis_id: str
    path: str
    by: str
    at: str
    digest: str

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.hypothesis_id,
            "path": self.path,
            "by": self.by,
            "at": self.at,
            "digest": self.digest,
        }

    def to_text(self) -> str:
        return (
            f"{self.hypothesis_id} approved by {self.by} ({self.digest[:19]}…)\n"
            f"commit it: git commit -m 'Approve {self.hypothesis_id}' {self.path}"
        )


def approve(config: Config, hypothesis_id: str | None) -> ApproveResult:
    found_id, folder = resolve_hypothesis(config, hypothesis_id)
    path = plan_path(folder)
    shown = shown_path(path)
    result = read_plan_file(path, config)
    status = result.document.front_matter.get("status") if result.document else None
    if status == "draft":
        raise UserError(
            f"{shown}: status: {found_id} is still a draft (finish the plan, set "
            "'status: review', commit it, then ask a reviewer to approve)"
        )
    plan, document = require_valid(result)
    if plan.approval is not None or plan.status != "review":
        already = (
            f"already approved by {plan.approval.by} at {plan.approval.at}"
            if plan.approval
            else f"status is {plan.status}"
        )
        raise UserError(
            f"{shown}: status: {found_id} is {already} (only a plan in review can be approved; "
            "record later changes with `rflow deviate`)"
        )
    user = acting_user(config.root)
    if user == plan.roles.author:
        raise UserError(
            f"{shown}: roles.author: {user} wrote this plan and cannot approve it "
            "(a reviewer who is not the author runs `rflow approve`)"
        )
    if plan.roles.reviewers and user not in plan.roles.reviewers:
        names = ", ".join(plan.roles.reviewers)
        raise UserError(
            f"{shown}: roles.reviewers: {user} is not a reviewer of this plan "
            f"(ask {names}, or add {user} to roles.reviewers first)"
        )
    record = {"by": user, "at": utc_now(), "digest": digest(document, config.sections)}
    text = set_fields(document.text, {"status": "approved", "approval": record})
    write_plan_checked(path, text, config)
    return ApproveResult(found_id, shown, record["by"], record["at"], record["digest"])
