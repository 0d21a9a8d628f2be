"""Pre-registration: the canonical registered content of a plan, its digest, and drift (pure).

What a reviewer approves is the hypothesis, the predictions, the data, the registered
command, the evaluation and the experiment design. `command` and `evaluation` count only
when the plan writes them, so plans approved before they existed keep their digest.
Formatting is not content: whitespace, key order, the order of predictions and data paths,
and HTML comments do not change the digest; a changed word or number does.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from typing import Any

from researchflow.base.problems import Problem
from researchflow.documents.config import SectionsConfig
from researchflow.documents.document import Document
from researchflow.documents.plan import Plan
from researchflow.documents.schema import HTML_COMMENT

DIGEST_PREFIX = "sha256:"
CHANGED_MESSAGE = "registered content changed after approval without a recorded deviation"
CHANGED_FIX = "revert the change or run `rflow deviate`"


def registered_content(document: Document, sections_config: SectionsConfig) -> str:
    """Canonical JSON text of what an approval covers."""
    fm = document.front_matter
    content: dict[str, Any] = {
        "hypothesis": _words(fm.get("hypothesis")),
        "predictions": _predictions(fm.get("predictions")),
        "data": sorted(_canonical(item) for item in _as_list(fm.get("data"))),
        "design": _design(document, sections_config),
    }
    if fm.get("command") not in (None, "", []):
        content["command"] = _argv(fm.get("command"))
    if fm.get("evaluation") is not None:
        evaluation = _canonical(fm.get("evaluation"))
        if isinstance(evaluation, dict) and "baseline_command" in evaluation:
            evaluation["baseline_command"] = _argv(fm["evaluation"]["baseline_command"])
        content["evaluation"] = evaluation
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(document: Document, sections_config: SectionsConfig) -> str:
    """`sha256:<hex>` of the registered content."""
    text = registered_content(document, sections_config)
    return DIGEST_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def effective_digest(plan: Plan) -> str | None:
    """The digest registered content must have now: the last deviation's, else the approval's."""
    if plan.approval is None:
        return None
    if plan.deviations:
        return plan.deviations[-1].digest
    return plan.approval.digest


def registration_problems(
    plan: Plan, document: Document, path: str, sections_config: SectionsConfig
) -> list[Problem]:
    """Approval by the author, and registered content that drifted since the approval."""
    if plan.approval is None:
        return []
    problems: list[Problem] = []
    if plan.approval.by == plan.roles.author:
        problems.append(
            Problem(
                path,
                document.line_of("approval.by"),
                "approval.by",
                f"approved by the author ({plan.approval.by})",
                "a reviewer who is not roles.author runs `rflow approve`",
            )
        )
    expected = effective_digest(plan)
    if digest(document, sections_config) != expected:
        field = "approval.digest"
        line = document.line_of(
            f"deviations[{len(plan.deviations) - 1}].digest" if plan.deviations else field
        )
        problems.append(Problem(path, line, field, CHANGED_MESSAGE, CHANGED_FIX))
    return problems


def history_problems(
    before: Plan | None, after: Plan, document: Document, path: str
) -> list[Problem]:
    """The approval and the deviations are append-only records: compare with the last commit.

    Without this, editing `approval.digest` by hand would silence the digest check.
    """
    if before is None or before.approval is None:
        return []
    problems: list[Problem] = []
    if after.approval != before.approval:
        problems.append(
            Problem(
                path,
                document.line_of("approval"),
                "approval",
                "the recorded approval was edited or removed",
                "restore it from the last commit; only `rflow approve` writes it",
            )
        )
    if after.reapprovals[: len(before.reapprovals)] != before.reapprovals:
        problems.append(
            Problem(
                path,
                document.line_of("reapprovals"),
                "reapprovals",
                "recorded re-approvals were edited or removed",
                "restore them from the last commit; only `rflow approve` adds them",
            )
        )
    if after.deviations[: len(before.deviations)] != before.deviations:
        problems.append(
            Problem(
                path,
                document.line_of("deviations"),
                "deviations",
                "recorded deviations were edited or removed",
                "restore them from the last commit; add new ones with `rflow deviate`",
            )
        )
    return problems


def _words(value: Any) -> str:
    """Whitespace-normalised text; non-text values in their canonical form."""
    if isinstance(value, str):
        return " ".join(value.split())
    return str(_canonical(value))


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return repr(float(value))  # 1, 1.0 and 1.00 are the same number
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return str(value)


def _argv(value: Any) -> Any:
    """`python train.py` and `[python, train.py]` register the same command."""
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return _canonical(value)
    return _canonical(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _predictions(value: Any) -> list[Any]:
    items = [_canonical(item) for item in _as_list(value)]
    # the order predictions are listed in is not part of what was predicted
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))


def _design(document: Document, sections_config: SectionsConfig) -> str:
    """The design section's text with its steps, comments dropped, whitespace collapsed."""
    section = document.section(sections_config.design)
    if section is None:
        return ""
    body = HTML_COMMENT.sub(" ", section.body)
    return " ".join(body.split())
