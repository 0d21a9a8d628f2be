"""`rflow validate`: the plans and reports under research/, or the paths given."""

from __future__ import annotations

from pathlib import Path

from researchflow.config import Config
from researchflow.document import DocumentError, parse_document
from researchflow.errors import UserError
from researchflow.outcome import combined, disagreement, report_verdicts
from researchflow.plan import PlanResult, read_plan
from researchflow.problems import Problem, ValidateResult
from researchflow.project import REPORT_FILE, discover_documents, expand_documents, shown_path
from researchflow.report_schema import read_report

__all__ = ["ValidateResult", "validate", "validate_file"]


def validate(config: Config, paths: list[Path] | None = None) -> ValidateResult:
    if not paths and config.source is None and not (config.root / ".git").exists():
        raise UserError(
            f"{config.root}: not inside a git repository set up for researchflow (cd into "
            "your project, or name the files: rflow validate PATH...)"
        )
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
        status = sibling_status(path.parent / "plan.qmd")
        return read_report(raw, shown, status=status, sections=config.sections.report)
    result = read_plan(raw, shown, config.sections)
    consistency = outcome_problems(result, path.parent / REPORT_FILE, shown)
    return (*result.problems, *consistency, *result.warnings)


def outcome_problems(result: PlanResult, report_path: Path, shown: str) -> tuple[Problem, ...]:
    """The plan's `outcome` against the verdicts its sibling report states."""
    plan, document = result.plan, result.document
    if plan is None or document is None or plan.outcome is None:
        return ()
    try:
        text = report_path.read_text(encoding="utf-8")
        front_matter = parse_document(text).front_matter
    except (OSError, UnicodeDecodeError, DocumentError):
        return ()  # no report to compare with: the report level of `rflow check` says so
    verdicts = report_verdicts(front_matter, text)
    problem = disagreement(plan.outcome, plan.conclusion, verdicts)
    if problem is None:
        return ()
    return (
        Problem(
            shown,
            document.line_of("outcome"),
            "outcome",
            problem,
            f"set 'outcome: {combined(verdicts)}', or name the report's '{combined(verdicts)}' "
            "in 'conclusion' and say why it is overruled",
        ),
    )


def sibling_status(plan_path: Path) -> str | None:
    """The status the plan next to a report states (None when it cannot be read)."""
    from researchflow.document import DocumentError, parse_document

    try:
        status = parse_document(plan_path.read_bytes()).front_matter.get("status")
    except (OSError, DocumentError):
        return None
    return status if isinstance(status, str) else None
