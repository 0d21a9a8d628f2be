"""Validation of a `report.qmd` document's shape (pure).

The results block inside it is generated; whether its numbers match the store is a job for
`rflow check`, not for this fast validator.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from researchflow.config import DEFAULT_REPORT_SECTIONS
from researchflow.document import Document, DocumentError, parse_document
from researchflow.naming import id_from_name, is_valid_id
from researchflow.plan import HTML_COMMENT, PLACEHOLDER
from researchflow.problems import Problem

WRITTEN_FROM = ("reported", "concluded")  # statuses at which the report must be written
GENERATED_SECTION = "results"  # its block is generated; only its prose is the author's
BLOCK = re.compile(r"<!-- rflow:results:begin -->.*?<!-- rflow:results:end -->", re.DOTALL)


def read_report(
    raw: bytes | str,
    path: str,
    *,
    status: str | None = None,
    sections: tuple[str, ...] = DEFAULT_REPORT_SECTIONS,
) -> tuple[Problem, ...]:
    """The report's shape; at status reported or concluded (the plan's) its own sections
    must be written too: present, not empty, no template placeholder text."""
    try:
        document = parse_document(raw)
    except DocumentError as error:
        return (Problem(path, error.line, error.field, error.message, error.fix),)
    problems = list(_shape(document, path))
    if status in WRITTEN_FROM:
        problems.extend(written_problems(document, path, sections, status))
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
