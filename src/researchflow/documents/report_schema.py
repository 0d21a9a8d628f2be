"""Validation of a `report.qmd` document's front matter and sections, through the document
engine (pure).

The results block inside it is generated; whether its numbers match the store is a job for
`rflow check`, not for this fast validator.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from researchflow.base.names import id_from_name, is_valid_id
from researchflow.base.problems import Problem
from researchflow.documents.config import DEFAULT_REPORT_SECTIONS
from researchflow.documents.document import DocumentError, parse_document
from researchflow.documents.kinds import Custom
from researchflow.documents.plan import QUARTO_KEYS
from researchflow.documents.schema import (
    MISSING,
    PLACEHOLDER_FIX,
    PLACEHOLDER_MESSAGE,
    Field,
    Reader,
    blanked,
    placeholder_fields,
    placeholder_line,
)

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
    reader = Reader(document, path)
    reader.unknown(reader.data, REPORT_KEYS, also=QUARTO_KEYS)
    reader.read(REPORT_FIELDS)
    if plan_status in WRITTEN_FROM:
        _written(reader, sections, plan_status)
    _decision(reader, plan_status)
    return tuple(reader.problems)


def _report_id(reader: Reader, key: str, value: object) -> object:
    if not is_valid_id(value):
        reader.add(key, f"{value!r} is not a hypothesis ID", "use H- and at least 3 digits")
        return MISSING
    parts = PurePosixPath(reader.path.replace("\\", "/")).parts
    folder_id = id_from_name(parts[-2]) if len(parts) >= 2 else None
    if folder_id is not None and folder_id != value:
        reader.add(key, f"{value} does not match its folder {parts[-2]}", f"set 'id: {folder_id}'")
    return value


def _title(reader: Reader, key: str, value: object) -> object:
    if not isinstance(value, str) or not value.strip():
        reader.add(key, "missing", "add a one-line title")
        return MISSING
    return value


REPORT_FIELDS = (
    Field("id", Custom(_report_id), "add the hypothesis ID, e.g. 'id: H-007'", required=True),
    Field("title", Custom(_title), "add a one-line title", required=True, null_is_value=True),
)


def _written(reader: Reader, sections: tuple[str, ...], status: str) -> None:
    """Each of the report's own sections written, like a plan's at review."""
    placeholder_fields(reader, ("title",))
    for name in sections:
        section = reader.document.section(name)
        label = f"## {name}"
        if section is None:
            reader.add(
                label,
                f"required section is missing (status {status})",
                f"add '{label}' and write it",
                reader.document.body_start,
            )
            continue
        generated = " ".join(name.casefold().split()) == GENERATED_SECTION
        # the generated block is blanked line for line too: line numbers stay true
        body = blanked(BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), section.body))
        if not body.strip() and not generated:
            reader.add(
                label,
                f"section is empty (status {status})",
                "write what the reader needs before the report is merged",
                section.line,
            )
            continue
        line = placeholder_line(section, body)
        if line is not None:
            reader.add(label, f"{PLACEHOLDER_MESSAGE} (status {status})", PLACEHOLDER_FIX, line)


def _decision(reader: Reader, plan_status: str | None) -> None:
    """`decision: ship | iterate | stop` with a one-line reason once concluded; a ship
    decision also needs a written deployment plan."""
    fm = reader.data
    decision = fm.get("decision")
    if decision is not None and decision not in DECISIONS:
        reader.add(
            "decision", f"{decision!r} is not allowed", f"use one of: {', '.join(DECISIONS)}"
        )
        return
    reason = fm.get("decision_reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        reader.add(
            "decision_reason",
            "must be one line of text",
            "say in one line why, e.g. 'recall +4 points, inside the latency budget'",
        )
    elif isinstance(reason, str) and "\n" in reason.strip():
        reader.add(
            "decision_reason",
            "must be one line",
            "keep the reason to one line; write more in the report",
        )
    _shipped(reader, decision)
    if plan_status != "concluded":
        return
    if decision is None:
        reader.add(
            "decision",
            "a concluded hypothesis needs the ship decision",
            "add 'decision: ship', 'iterate' or 'stop' and a one-line decision_reason",
            1,
        )
    if reason is None:
        reader.add(
            "decision_reason",
            "missing",
            "add 'decision_reason: <one line: why ship, iterate or stop>'",
            1,
        )
    if decision == "ship":
        _deployment_plan(reader)


def _deployment_plan(reader: Reader) -> None:
    label = f"## {DEPLOYMENT_SECTION}"
    section = reader.document.section(DEPLOYMENT_SECTION)
    fix = "write the interface, the owner and the monitoring metric of the rollout"
    if section is None:
        reader.add(
            label,
            "a ship decision needs a deployment plan",
            f"add '{label}': {fix}",
            reader.document.body_start,
        )
        return
    body = blanked(section.body)
    if not body.strip():
        reader.add(label, "section is empty", fix, section.line)
        return
    line = placeholder_line(section, body)
    if line is not None:
        reader.add(label, PLACEHOLDER_MESSAGE, fix, line)
        return
    lowered = body.casefold()
    missing = [point for point in DEPLOYMENT_POINTS if point not in lowered]
    if missing:
        reader.add(label, f"does not name the {', the '.join(missing)}", fix, section.line)


def _shipped(reader: Reader, decision: object) -> None:
    """`shipped: {result, plan_b, by, at}` follows a ship decision, both parts written."""
    shipped = reader.data.get("shipped")
    if shipped is None:
        return
    line = reader.document.line_of("shipped")
    fix = 'let `rflow shipped ID --result "..." --plan-b "..."` write it'
    if not isinstance(shipped, dict):
        reader.add("shipped", "must be a mapping of result, plan_b, by, at", fix, line)
    elif decision != "ship":
        reader.add("shipped", "recorded without a ship decision", fix, line)
    else:
        for key in ("result", "plan_b"):
            if not isinstance(shipped.get(key), str) or not shipped[key].strip():
                reader.add(f"shipped.{key}", "must be one line of text", fix, line)
