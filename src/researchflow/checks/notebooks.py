"""Level 6, notebooks: every notebook of the hypothesis is valid nbformat; with
`--execute-notebooks` each also runs top to bottom without an error."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from researchflow.adapters import statecache
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
    memo = ctx.config.state_path / "cache" / f"notebooks-{ctx.id}.json"
    fingerprint = _nbformat_version()
    valid = statecache.load(memo, fingerprint)  # content digest → True: found valid before
    still: dict[str, Any] = {}
    for path in found:
        shown = ctx.rel(path.relative_to(ctx.folder))
        if ctx.options.execute_notebooks:
            problems.extend(nb.execute(path, shown, cwd=path.parent))
            continue
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = ""
        if digest and valid.get(digest) is True:
            still[digest] = True
            continue
        found_now = nb.validate(path, shown, order=False)
        problems.extend(found_now)
        if digest and not found_now:
            still[digest] = True
    # .rflow/ exists once rflow ran here: never litter a checkout that has none
    if not ctx.options.execute_notebooks and still != valid and ctx.config.state_path.is_dir():
        statecache.save(memo, fingerprint, still)
    verb = "valid and ran without error" if ctx.options.execute_notebooks else "valid nbformat"
    return judged(ctx.id, LEVEL, problems, f"{len(found)} notebook(s) {verb}")


def _nbformat_version() -> str:
    """Validity depends on the schemas nbformat ships: a new version validates again."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"nbformat {version('nbformat')}"
    except PackageNotFoundError:
        return "nbformat"
