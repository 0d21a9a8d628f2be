"""`rflow deviate`: record a deviation from the approved plan and re-digest it.

A deviation is disclosed, not re-reviewed: runs started after it are exploratory, and the
report lists it. Edit the plan first, then record the deviation, then commit both.
"""

from __future__ import annotations

from pathlib import Path

from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen, replace
from researchflow.base.output import fields_json
from researchflow.documents.config import Config
from researchflow.documents.frontmatter import set_fields
from researchflow.documents.plan import Plan
from researchflow.documents.project import shown_path
from researchflow.documents.registration import digest, effective_digest
from researchflow.process import hypotheses
from researchflow.process.steproles import step_problem


@frozen
class DeviateResult:
    hypothesis_id: str
    path: str
    deviation: dict[str, str]
    changed: bool  # did registered content change since the approval or last deviation

    def to_json(self) -> dict[str, object]:
        return fields_json(self, hypothesis_id="id", changed="registered_content_changed")

    def to_text(self) -> str:
        lines = [f"{self.hypothesis_id}: deviation recorded by {self.deviation['by']}"]
        if not self.changed:
            lines.append(
                "note: registered content is unchanged; if you are about to change it, "
                "edit the plan first and record the deviation after"
            )
        lines.append(
            f"runs from now on are exploratory; commit it: git commit -m "
            f"'Deviation for {self.hypothesis_id}' {self.path}"
        )
        return "\n".join(lines)


def deviate(config: Config, hypothesis_id: str | None, reason: str) -> DeviateResult:
    reason = reason.strip()
    if not reason:
        raise UserError("--reason: empty (say what changed and why, in one sentence)")
    found_id, folder = hypotheses.resolve_hypothesis(config, hypothesis_id)
    path = hypotheses.plan_path(folder)
    shown = shown_path(path)
    result = hypotheses.read_plan_file(path, config)
    if result.plan is not None and result.plan.approval is None:
        raise UserError(
            f"{shown}: approval: {found_id} is not approved yet (edit the plan freely "
            "until `rflow approve`; deviations are for approved plans)"
        )
    # the drift a deviation exists to record is a problem for validate, not for us
    problems = tuple(p for p in result.problems if p.field != "approval.digest")
    plan, document = hypotheses.require_valid(replace(result, problems=problems))
    now = digest(document, config.sections)
    user = hypotheses.current_actor(config)
    refusal = step_problem("deviate", user, plan.roles)
    if refusal is not None:
        raise UserError(refusal.line(shown))
    _refuse_loosening(config, path, plan)
    record = {"at": hypotheses.utc_now(), "by": user.name, "reason": reason, "digest": now}
    existing = document.front_matter.get("deviations") or []
    text = set_fields(document.text, {"deviations": [*existing, record]})
    hypotheses.write_plan_checked(path, text, config)
    return DeviateResult(found_id, shown, record, now != effective_digest(plan))


def _refuse_loosening(config: Config, path: Path, plan: Plan) -> None:
    """A deviation may add, tighten or withdraw a prediction, never remove or loosen one:
    compared with the plan as last committed (the gate replays every commit the same way)."""
    from researchflow.adapters.gitobjects import read_blobs
    from researchflow.documents.plan_rules import read_plan
    from researchflow.verdicts.history import loosened

    relative = path.relative_to(config.root).as_posix()
    blob = read_blobs(config.root, [("HEAD", relative)]).get(("HEAD", relative))
    before = read_plan(blob, relative, config.sections).plan if blob is not None else None
    if before is None or before.approval is None:
        return
    findings = loosened(before, plan, "this deviation")
    if findings:
        first = findings[0]
        raise UserError(f"{shown_path(path)}: {first.field}: {first.message} ({first.fix})")
