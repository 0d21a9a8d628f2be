"""Validation of a `report.qmd` document's shape (pure).

The results block inside it is generated; whether its numbers match the store is a job for
`rflow check`, not for this fast validator.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from researchflow.base.names import id_from_name, is_valid_id
from researchflow.base.problems import Problem
from researchflow.base.strictkeys import unknown_keys
from researchflow.documents.config import DEFAULT_REPORT_SECTIONS
from researchflow.documents.document import Document, DocumentError, parse_document
from researchflow.documents.plan import QUARTO_KEYS
from researchflow.documents.schema import HTML_COMMENT, PLACEHOLDER

# The report's own front-matter keys (generated ones, and the ship decision)
REPORT_KEYS = (
    "title",
    "id",
    "hypothesis_title",
    "primary_run",
    "primary_chosen_run",  # `rflow report --primary`: the run chosen, by whom, when
    "primary_chosen_by",
    "primary_chosen_at",
    "verdicts",
    "verdicts_original",
    "decision",
    "decision_reason",
    "shipped",  # `rflow shipped`: the pilot or A/B result after a ship decision, and plan B
    "format",
)
DECISIONS = ("ship", "iterate", "stop")
DEPLOYMENT_SECTION = "Deployment plan"
# what a deployment plan must say (a word each, so the team's own headings fit)
DEPLOYMENT_POINTS = ("interface", "owner", "monitoring")

WRITTEN_FROM = ("reported", "concluded")  # statuses at which the report must be written
GENERATED_SECTION = "results"  # its block is generated; only its prose is the author's
BLOCK = re.compile(r"<!-- rflow:results:begin -->.*?<!-- rflow:results:end -->", re.DOTALL)


def read_report(
    raw: bytes | str,
    path: str,
    plan_status: str | None = None,
    *,
    sections: tuple[str, ...] = DEFAULT_REPORT_SECTIONS,
) -> tuple[Problem, ...]:
    """The report's shape; `plan_status` (the plan's `status`) adds, at reported or
    concluded, its own sections written (present, not empty, no template text) and, at
    `concluded`, the ship decision."""
    try:
        document = parse_document(raw)
    except DocumentError as error:
        return (Problem(path, error.line, error.field, error.message, error.fix),)
    problems = list(_shape(document, path))
    if plan_status in WRITTEN_FROM:
        problems.extend(written_problems(document, path, sections, plan_status))
    problems += decision_problems(document, path, plan_status)
    return tuple(problems)


def written_problems(
    document: Document, path: str, sections: tuple[str, ...], status: str
) -> list[Problem]:
    """Each of the report's own sections written, like a plan's at review."""
    problems: list[Problem] = []
    title = document.front_matter.get("title")
    if isinstance(title, str) and PLACEHOLDER.search(title):
        problems.append(
            Problem(
                path,
                document.line_of("title"),
                "title",
                "still holds template placeholder text (TODO)",
                "replace the TODO text with your own",
            )
        )
    for name in sections:
        section = document.section(name)
        label = f"## {name}"
        if section is None:
            problems.append(
                Problem(
                    path,
                    document.body_start,
                    label,
                    f"required section is missing (status {status})",
                    f"add '{label}' and write it",
                )
            )
            continue
        generated = " ".join(name.casefold().split()) == GENERATED_SECTION
        # comments and the generated block are blanked line for line: line numbers stay true
        body = BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), section.body)
        body = HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), body)
        if not body.strip() and not generated:
            problems.append(
                Problem(
                    path,
                    section.line,
                    label,
                    f"section is empty (status {status})",
                    "write what the reader needs before the report is merged",
                )
            )
            continue
        placeholder = PLACEHOLDER.search(body)
        if placeholder:
            offset = body[: placeholder.start()].count("\n") + 1
            problems.append(
                Problem(
                    path,
                    section.line + offset,
                    label,
                    f"still holds template placeholder text (TODO) (status {status})",
                    "replace the TODO text with your own",
                )
            )
    return problems


def _shape(document: Document, path: str) -> list[Problem]:
    problems: list[Problem] = []
    fm = document.front_matter
    for key, fix in unknown_keys(fm, REPORT_KEYS, QUARTO_KEYS):
        problems.append(Problem(path, document.line_of(key), key, "unknown key", fix))
    report_id = fm.get("id")
    if report_id is None:
        problems.append(
            Problem(path, 1, "id", "missing", "add the hypothesis ID, e.g. 'id: H-007'")
        )
    elif not is_valid_id(report_id):
        problems.append(
            Problem(
                path,
                document.line_of("id"),
                "id",
                f"{report_id!r} is not a hypothesis ID",
                "use H- and at least 3 digits",
            )
        )
    else:
        parts = PurePosixPath(path.replace("\\", "/")).parts
        folder_id = id_from_name(parts[-2]) if len(parts) >= 2 else None
        if folder_id is not None and folder_id != report_id:
            problems.append(
                Problem(
                    path,
                    document.line_of("id"),
                    "id",
                    f"{report_id} does not match its folder {parts[-2]}",
                    f"set 'id: {folder_id}'",
                )
            )
    title = fm.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(
            Problem(path, document.line_of("title"), "title", "missing", "add a one-line title")
        )
    return problems


def decision_problems(document: Document, path: str, plan_status: str | None) -> list[Problem]:
    """`decision: ship | iterate | stop` with a one-line reason once concluded; a ship
    decision also needs a written deployment plan."""
    fm = document.front_matter
    decision = fm.get("decision")
    problems: list[Problem] = []
    if decision is not None and decision not in DECISIONS:
        problems.append(
            Problem(
                path,
                document.line_of("decision"),
                "decision",
                f"{decision!r} is not allowed",
                f"use one of: {', '.join(DECISIONS)}",
            )
        )
        return problems
    reason = fm.get("decision_reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        problems.append(
            Problem(
                path,
                document.line_of("decision_reason"),
                "decision_reason",
                "must be one line of text",
                "say in one line why, e.g. 'recall +4 points, inside the latency budget'",
            )
        )
    elif isinstance(reason, str) and "\n" in reason.strip():
        problems.append(
            Problem(
                path,
                document.line_of("decision_reason"),
                "decision_reason",
                "must be one line",
                "keep the reason to one line; write more in the report",
            )
        )
    problems += _shipped_problems(document, path, decision)
    if plan_status != "concluded":
        return problems
    if decision is None:
        problems.append(
            Problem(
                path,
                1,
                "decision",
                "a concluded hypothesis needs the ship decision",
                "add 'decision: ship', 'iterate' or 'stop' and a one-line decision_reason",
            )
        )
    if reason is None:
        problems.append(
            Problem(
                path,
                1,
                "decision_reason",
                "missing",
                "add 'decision_reason: <one line: why ship, iterate or stop>'",
            )
        )
    if decision == "ship":
        problems += _deployment_plan(document, path)
    return problems


def _deployment_plan(document: Document, path: str) -> list[Problem]:
    label = f"## {DEPLOYMENT_SECTION}"
    section = document.section(DEPLOYMENT_SECTION)
    fix = "write the interface, the owner and the monitoring metric of the rollout"
    if section is None:
        return [
            Problem(
                path,
                document.body_start,
                label,
                "a ship decision needs a deployment plan",
                f"add '{label}': {fix}",
            )
        ]
    body = HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), section.body)
    if not body.strip():
        return [Problem(path, section.line, label, "section is empty", fix)]
    placeholder = PLACEHOLDER.search(body)
    if placeholder:
        offset = body[: placeholder.start()].count("\n") + 1
        return [
            Problem(
                path,
                section.line + offset,
                label,
                "still holds template placeholder text (TODO)",
                fix,
            )
        ]
    lowered = body.casefold()
    missing = [point for point in DEPLOYMENT_POINTS if point not in lowered]
    if missing:
        return [
            Problem(path, section.line, label, f"does not name the {', the '.join(missing)}", fix)
        ]
    return []


def _shipped_problems(document: Document, path: str, decision: Any) -> list[Problem]:
    """`shipped: {result, plan_b, by, at}` follows a ship decision, both parts written."""
    shipped = document.front_matter.get("shipped")
    if shipped is None:
        return []
    line = document.line_of("shipped")
    fix = 'let `rflow shipped ID --result "..." --plan-b "..."` write it'
    if not isinstance(shipped, dict):
        return [Problem(path, line, "shipped", "must be a mapping of result, plan_b, by, at", fix)]
    if decision != "ship":
        return [Problem(path, line, "shipped", "recorded without a ship decision", fix)]
    return [
        Problem(path, line, f"shipped.{key}", "must be one line of text", fix)
        for key in ("result", "plan_b")
        if not isinstance(shipped.get(key), str) or not shipped[key].strip()
    ]
