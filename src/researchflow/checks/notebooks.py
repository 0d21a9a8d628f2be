"""Level 6, notebooks: every notebook of the hypothesis is valid nbformat; with
`--execute-notebooks` each also runs top to bottom without an error."""

from __future__ import annotations

from pathlib import Path

from researchflow.base.problems import Problem
from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged, skipped

LEVEL = "notebooks"


def notebooks_of(folder: Path) -> list[Path]:
    """The hypothesis's notebooks, checkpoints excluded, in a stable order."""
    return sorted(
        path for path in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
    )


def check(ctx: HypothesisContext) -> CheckResult:
    from researchflow.adapters import notebooks as nb

    found = notebooks_of(ctx.folder)
    if not found:
        return skipped(ctx.id, LEVEL, "no notebooks")
    problems: list[Problem] = []
    for path in found:
        shown = ctx.rel(path.relative_to(ctx.folder))
        if ctx.options.execute_notebooks:
            problems.extend(nb.execute(path, shown, cwd=path.parent))
        else:
            problems.extend(nb.validate(path, shown, order=False))
    verb = "valid and ran without error" if ctx.options.execute_notebooks else "valid nbformat"
    return judged(ctx.id, LEVEL, problems, f"{len(found)} notebook(s) {verb}")
