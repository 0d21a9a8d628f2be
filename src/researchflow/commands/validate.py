"""`rflow validate`: the plans and reports under research/, or the paths given."""

from __future__ import annotations

from pathlib import Path

from researchflow.base import TYPE_CHECKING
from researchflow.base.errors import UserError
from researchflow.base.names import PLAN_FILE, PROBLEM_FILE, REPORT_FILE, RUNS_FILE
from researchflow.base.problems import Problem, ValidateResult
from researchflow.documents.config import Config
from researchflow.documents.document import DocumentError, parse_document
from researchflow.documents.plan import PlanResult
from researchflow.documents.plan_rules import read_plan
from researchflow.documents.programme import (
    ProblemStatement,
    is_problem_path,
    read_problem,
    serves_problems,
)
from researchflow.documents.project import discover_documents, expand_documents, shown_path
from researchflow.documents.statements import load_statements, problem_files
from researchflow.process.steproles import team_review_problems

if TYPE_CHECKING:
    from typing import Any

__all__ = ["ValidateResult", "validate", "validate_file"]


def validate(config: Config, paths: list[Path] | None = None) -> ValidateResult:
    if not paths and config.source is None and not (config.root / ".git").exists():
        raise UserError(
            f"{config.root}: not inside a git repository set up for researchflow (cd into "
            "your project, or name the files: rflow validate PATH...)"
        )
    files = (
        expand_documents(paths) if paths else [*problem_files(config), *discover_documents(config)]
    )
    problems: list[Problem] = []
    context = _Context(config)
    for path in files:
        problems.extend(validate_file(path, config, context))
    errors = tuple(p for p in problems if p.severity != "warning")
    warnings = tuple(p for p in problems if p.severity == "warning")
    return ValidateResult(tuple(shown_path(p) for p in files), errors, warnings)


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
    if path.name == RUNS_FILE:  # only when named: rflow writes it, people mend it
        from researchflow.documents.runlog import runs_problems

        return runs_problems(raw, shown)
    if path.name == REPORT_FILE:
        from researchflow.documents.report_schema import read_report  # reports only

        return read_report(
            raw, shown, _plan_status(path.parent / PLAN_FILE), sections=config.sections.report
        )
    result = read_plan(raw, shown, config.sections)
    consistency = outcome_problems(result, path.parent / REPORT_FILE, shown)
    found: list[Problem] = [*result.problems, *consistency, *result.warnings]
    if result.document is not None:
        fm = result.document.front_matter
        found += serves_problems(fm, result.document, shown, context.statements)
        found += timebox_warnings(result.plan, result.document, shown, config)
        if result.plan is not None:
            line = result.document.line_of("approval")
            found += team_review_problems(result.plan, line, shown, config.review.min_approvals)
    found += power_warnings(result, path, shown)
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
    from researchflow.verdicts.outcome import combined, disagreement, report_verdicts

    verdicts = report_verdicts(front_matter, text)
    problem = disagreement(plan.outcome, verdicts)
    if problem is None:
        return ()
    return (
        Problem(
            shown,
            document.line_of("outcome"),
            "outcome",
            problem,
            f"set 'outcome: {combined(verdicts)}': the outcome follows from the verdicts",
        ),
    )


def power_warnings(result: PlanResult, path: Path, shown: str) -> tuple[Problem, ...]:
    """At review, with exploratory runs beside the plan: fewer repeats than 80 % power needs.

    Only then is the statistics (scipy) imported, so validating other plans stays fast."""
    plan = result.plan
    runs_file = path.parent / RUNS_FILE
    if plan is None or plan.status != "review" or not runs_file.is_file():
        return ()
    from researchflow.documents.runlog import read_runs
    from researchflow.verdicts.power import power_rows

    try:
        runs = read_runs(runs_file).runs
    except UserError:
        return ()  # runs.yaml's own problems are the check's to report
    short = [row for row in power_rows(plan, runs) if row.short]
    if not short:
        return ()
    document = result.document
    line = document.line_of("evaluation.repeats") if document is not None else 1
    needed = max(row.needed or 0 for row in short)
    detail = "; ".join(
        f"{row.metric}: sd {row.sd:.3g} over {row.runs} runs needs {row.needed}" for row in short
    )
    return (
        Problem(
            shown,
            line,
            "evaluation.repeats",
            f"{plan.evaluation.repeats} repeat(s) are too few to detect min_effect with 80% "
            f"power ({detail})",
            f"register evaluation: {{repeats: {needed}}} (see `rflow power {plan.id}`)",
            "warning",
        ),
    )
