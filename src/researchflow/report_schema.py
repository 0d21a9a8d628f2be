"""Validation of a `report.qmd` document's shape (pure).

The results block inside it is generated; whether its numbers match the store is a job for
`rflow check`, not for this fast validator.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from researchflow.document import DocumentError, parse_document
from researchflow.naming import id_from_name, is_valid_id
from researchflow.problems import Problem


def read_report(raw: bytes | str, path: str) -> tuple[Problem, ...]:
    try:
        document = parse_document(raw)
    except DocumentError as error:
        return (Problem(path, error.line, error.field, error.message, error.fix),)
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
    return tuple(problems)
