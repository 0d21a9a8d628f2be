"""The problem statements of a working tree: found, read and parsed (`validate`, `check`,
`new-hypothesis --serves`, `idea --serves`)."""

from __future__ import annotations

from pathlib import Path

from researchflow.base.errors import UserError
from researchflow.base.names import PROBLEM_FILE, PROBLEMS_DIR
from researchflow.documents.config import Config
from researchflow.documents.programme import ProblemStatement, metric_names, read_problem


def problem_files(config: Config) -> list[Path]:
    """research/problem.qmd and research/problems/*.qmd, those that exist."""
    research = config.research_path
    found = [research / PROBLEM_FILE] if (research / PROBLEM_FILE).is_file() else []
    return found + sorted((research / PROBLEMS_DIR).glob("*.qmd"))


def load_statements(config: Config) -> tuple[ProblemStatement, ...]:
    """The readable problem statements (broken ones are validate's to report, and name no
    metric)."""
    statements: list[ProblemStatement] = []
    for path in problem_files(config):
        try:
            raw = path.read_bytes()
        except OSError:
            continue
        shown = path.relative_to(config.root).as_posix()
        statement = read_problem(raw, shown).statement
        if statement is not None:
            statements.append(statement)
    return tuple(statements)


def check_serves(
    config: Config, names: tuple[str, ...], option: str = "--serves"
) -> tuple[str, ...]:
    """Metric names given on the command line, each one a problem statement lists."""
    cleaned = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
    if not cleaned:
        return ()
    known = metric_names(load_statements(config))
    unknown = [name for name in cleaned if name not in known]
    if unknown:
        choices = ", ".join(sorted(known)) or "none: write research/problem.qmd first"
        raise UserError(
            f"{option}: {unknown[0]!r} is not a success metric of any problem statement "
            f"(known: {choices})"
        )
    return cleaned
