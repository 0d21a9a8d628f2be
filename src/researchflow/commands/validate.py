"""`rflow validate`: the plans and reports under research/, or the paths given."""

from __future__ import annotations

from pathlib import Path

from researchflow.config import Config
from researchflow.plan import read_plan
from researchflow.problems import Problem, ValidateResult
from researchflow.project import REPORT_FILE, discover_documents, expand_documents, shown_path
from researchflow.report_schema import read_report

__all__ = ["ValidateResult", "validate", "validate_file"]


def validate(config: Config, paths: list[Path] | None = None) -> ValidateResult:
    files = expand_documents(paths) if paths else discover_documents(config)
    problems: list[Problem] = []
    for path in files:
        problems.extend(validate_file(path, config))
    errors = tuple(p for p in problems if p.severity != "warning")
    warnings = tuple(p for p in problems if p.severity == "warning")
    return ValidateResult(tuple(shown_path(p) for p in files), errors, warnings)


def validate_file(path: Path, config: Config) -> tuple[Problem, ...]:
    shown = shown_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return (Problem(shown, 0, "file", "not found", "check the path"),)
    except OSError as error:
        return (Problem(shown, 0, "file", f"cannot be read: {error.strerror}", "check the path"),)
    if path.name == REPORT_FILE:
        return read_report(raw, shown)
    result = read_plan(raw, shown, config.sections)
    return (*result.problems, *result.warnings)
