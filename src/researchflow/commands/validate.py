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
from researchflow.programme import (
    PROBLEM_FILE,
    ProblemStatement,
    is_problem_path,
    read_problem,
    serves_problems,
)
from researchflow.report_schema import read_report
from researchflow.statements import load_statements, problem_files

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
    files = expand(paths) if paths else [*problem_files(config), *discover(config)]
    problems: list[Problem] = []
    context = _Context(config)
    for path in files:
        problems.extend(validate_file(path, config, context))
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


class _Context:
    """What validating one file needs from its neighbours, read once per run."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._statements: tuple[ProblemStatement, ...] | None = None

    @property
    def statements(self) -> tuple[ProblemStatement, ...]:
        if self._statements is None:
            self._statements = load_statements(self.config)
        return self._statements


def _relative(path: Path, config: Config) -> str | None:
    try:
        return path.resolve().relative_to(config.root.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def validate_file(
    path: Path, config: Config, context: _Context | None = None
) -> tuple[Problem, ...]:
    shown = shown_path(path)
    context = context or _Context(config)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return (Problem(shown, 0, "file", "not found", "check the path"),)
    except OSError as error:
        return (Problem(shown, 0, "file", f"cannot be read: {error.strerror}", "check the path"),)
    relative = _relative(path, config)
    if path.name == PROBLEM_FILE or (
        relative is not None and is_problem_path(relative, config.research_dir)
    ):
        return read_problem(raw, shown).problems
    if path.name == "report.qmd":
        return read_report(raw, shown, _plan_status(path.parent / "plan.qmd"))
    result = read_plan(raw, shown, config.sections)
    consistency = outcome_problems(result, path.parent / "report.qmd", shown)
    found: list[Problem] = [*result.problems, *consistency, *result.warnings]
    if result.document is not None:
        fm = result.document.front_matter
        found += serves_problems(fm, result.document, shown, context.statements)
        found += timebox_warnings(result.plan, result.document, shown, config)
    return tuple(found)


def timebox_warnings(plan: Any, document: Any, shown: str, config: Config) -> list[Problem]:
    """Tasks are about a week: a longer timebox at review is worth a second look."""
    if plan is None or plan.status != "review" or plan.timebox_days is None:
        return []
    if plan.timebox_days <= config.timebox_max_days:
        return []
    return [
        Problem(
            shown,
            document.line_of("timebox_days"),
            "timebox_days",
            f"{plan.timebox_days} days is longer than the team's "
            f"{config.timebox_max_days}-day maximum",
            "split the hypothesis, or raise timebox_max_days in researchflow.yaml",
            "warning",
        )
    ]


def _plan_status(path: Path) -> str | None:
    """The status of the plan next to a report, None when it cannot be read."""
    try:
        status = parse_document(path.read_bytes()).front_matter.get("status")
    except (OSError, DocumentError):
        return None
    return status if isinstance(status, str) else None


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
