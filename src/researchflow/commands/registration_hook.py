"""The `rflow-registration` pre-commit hook: approved plans may change only by deviation.

pre-commit passes the staged plan files; each approved one must still have the digest of
its approval or last deviation. Pure apart from reading the files: it runs on every commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from researchflow.commands.validate import discover, shown_path
from researchflow.config import Config
from researchflow.errors import EXIT_CHECK_FAILED, EXIT_OK
from researchflow.plan import read_plan
from researchflow.problems import Problem
from researchflow.registration import registration_problems


@dataclass(frozen=True)
class RegistrationResult:
    files: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def exit_code(self) -> int:
        return EXIT_CHECK_FAILED if self.problems else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.problems,
            "files": list(self.files),
            "problems": [p.to_dict() for p in self.problems],
        }

    def to_text(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def check_registration(config: Config, paths: list[Path]) -> RegistrationResult:
    files = [p for p in paths if p.name == "plan.qmd"] if paths else discover(config)
    files = [p for p in files if p.name == "plan.qmd"]
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
        problems.extend(registration_problems(result.plan, result.document, shown, config.sections))
    return RegistrationResult(tuple(shown_path(p) for p in files), tuple(problems))
