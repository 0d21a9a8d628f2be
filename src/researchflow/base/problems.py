"""A located problem, formatted the way linters do: `path:line: field: problem (fix)`."""

from __future__ import annotations

from researchflow.base import TYPE_CHECKING
from researchflow.base.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_USAGE
from researchflow.base.frozen import asdict, frozen
from researchflow.base.safetext import terminal

if TYPE_CHECKING:
    from typing import Any


@frozen
class Problem:
    path: str
    line: int
    field: str
    message: str
    fix: str = ""
    severity: str = "error"  # "warning": shown, but never fails a command

    def __str__(self) -> str:
        """One line, whatever the file held: controls and newlines are shown escaped."""
        fix = f" ({self.fix})" if self.fix else ""
        kind = "warning: " if self.severity == "warning" else ""
        return terminal(f"{self.path}:{self.line}: {self.field}: {kind}{self.message}{fix}")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


# Problems of these kinds mean the file could not be read at all: an input error (exit 2)
UNREADABLE = {"encoding", "front matter", "file"}


@frozen
class ValidateResult:
    """Problems found in a list of files (validate, the registration and notebook hooks)."""

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
