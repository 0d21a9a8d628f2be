"""`rflow validate`: the plans and reports under research/, or the paths given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from researchflow.config import Config
from researchflow.document import DocumentError, parse_document
from researchflow.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE, UserError
from researchflow.outcome import combined, disagreement, report_verdicts
from researchflow.plan import PlanResult, read_plan
from researchflow.problems import Problem
from researchflow.report_schema import read_report

DOCUMENT_NAMES = ("plan.qmd", "report.qmd")
# Problems of these kinds mean the file could not be read at all: an input error (exit 2)
UNREADABLE = {"encoding", "front matter", "file"}


@dataclass(frozen=True)
class ValidateResult:
    files: tuple[str, ...]
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()  # printed, never counted in the exit code

    @property
    def exit_code(self) -> int:
        if not self.problems:
            return EXIT_OK
        if any(p.field in UNREADABLE for p in self.problems):
            return EXIT_USAGE
        return EXIT_CHECK_FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.problems,
            "files": list(self.files),
            "problems": [p.to_dict() for p in self.problems],
            "warnings": [p.to_dict() for p in self.warnings],
        }

    def to_text(self) -> str:
        lines = [str(p) for p in (*self.problems, *self.warnings)]
        if not self.files:
            lines.append("no plans or reports found")
        return "\n".join(lines)


def discover(config: Config) -> list[Path]:
    """Every plan and report one level under the research folder, in a stable order."""
    research = config.research_path
    found: list[Path] = []
    for name in DOCUMENT_NAMES:
        found.extend(research.glob(f"*/{name}"))
    return sorted(found)


def expand(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.qmd") if p.name in DOCUMENT_NAMES))
        else:
            files.append(path)
    return files


def validate(config: Config, paths: list[Path] | None = None) -> ValidateResult:
    if not paths and config.source is None and not (config.root / ".git").exists():
        raise UserError(
            f"{config.root}: not inside a git repository set up for researchflow (cd into "
            "your project, or name the files: rflow validate PATH...)"
        )
    files = expand(paths) if paths else discover(config)
    problems: list[Problem] = []
    for path in files:
        problems.extend(validate_file(path, config))
    errors = tuple(p for p in problems if p.severity != "warning")
    warnings = tuple(p for p in problems if p.severity == "warning")
    return ValidateResult(tuple(shown_path(p) for p in files), errors, warnings)


def shown_path(path: Path) -> str:
    """The path as a user would type it: relative to the working folder when inside it."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def validate_file(path: Path, config: Config) -> tuple[Problem, ...]:
    shown = shown_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return (Problem(shown, 0, "file", "not found", "check the path"),)
    except OSError as error:
        return (Problem(shown, 0, "file", f"cannot be read: {error.strerror}", "check the path"),)
    if path.name == "report.qmd":
        status = sibling_status(path.parent / "plan.qmd")
        return read_report(raw, shown, status=status, sections=config.sections.report)
    result = read_plan(raw, shown, config.sections)
    consistency = outcome_problems(result, path.parent / "report.qmd", shown)
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
