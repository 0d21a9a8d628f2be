"""`rflow check-notebooks`: the `rflow-notebooks` pre-commit hook (valid, run in order)."""

from __future__ import annotations

from pathlib import Path

from researchflow.base.problems import Problem, ValidateResult
from researchflow.documents.project import shown_path


def check_notebooks(paths: list[Path]) -> ValidateResult:
    from researchflow.adapters.notebooks import validate

    problems: list[Problem] = []
    for path in paths:
        if path.suffix != ".ipynb":
            continue
        shown = shown_path(path)
        if not path.is_file():
            problems.append(Problem(shown, 0, "file", "not found", "check the path"))
            continue
        problems.extend(validate(path, shown, order=True))
    return ValidateResult(tuple(shown_path(p) for p in paths), tuple(problems))
