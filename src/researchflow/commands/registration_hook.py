"""The `rflow-registration` pre-commit hook: approved plans may change only by deviation.

pre-commit passes the staged plan files; each approved one must still have the digest of
its approval or last deviation, and must keep the approval and deviations the last commit
recorded. Reads the files and HEAD's versions (one git call): it runs on every commit.
"""

from __future__ import annotations

from pathlib import Path

from researchflow.base.names import PLAN_FILE
from researchflow.base.problems import Problem, ValidateResult
from researchflow.documents.config import Config
from researchflow.documents.plan_rules import read_plan
from researchflow.documents.project import discover_documents, shown_path
from researchflow.documents.registration import history_problems, registration_problems


def check_registration(config: Config, paths: list[Path]) -> ValidateResult:
    files = [p for p in (paths or discover_documents(config)) if p.name == PLAN_FILE]
    committed = _committed_versions(config, files)
    problems: list[Problem] = []
    for path in files:
        shown = shown_path(path)
        try:
            raw = path.read_bytes()
        except OSError:
            continue  # a deleted plan: nothing registered left to protect here
        result = read_plan(raw, shown, config.sections)
        if result.plan is None or result.document is None:
            continue  # unreadable plans are rflow-validate's to report
        plan, document = result.plan, result.document
        problems.extend(registration_problems(plan, document, shown, config.sections))
        before = committed.get(path)
        if before is not None:
            previous = read_plan(before, shown, config.sections).plan
            problems.extend(history_problems(previous, plan, document, shown))
    return ValidateResult(tuple(shown_path(p) for p in files), tuple(problems))


def _committed_versions(config: Config, files: list[Path]) -> dict[Path, bytes]:
    """HEAD's version of each plan (none in a repository without commits or outside git)."""
    from researchflow.adapters.git import is_repository
    from researchflow.adapters.gitobjects import read_blobs
    from researchflow.adapters.process import CommandFailed

    root = config.root.resolve()
    specs: dict[tuple[str, str], Path] = {}
    for path in files:
        try:
            relative = path.resolve().relative_to(root).as_posix()
        except ValueError:
            continue  # outside the repository: no history to compare with
        specs[("HEAD", relative)] = path
    if not specs or not is_repository(root):
        return {}
    try:
        blobs = read_blobs(root, list(specs))
    except CommandFailed:
        return {}
    return {specs[spec]: blob for spec, blob in blobs.items() if blob is not None}
