"""A located problem, formatted the way linters do: `path:line: field: problem (fix)`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from researchflow.safetext import terminal


@dataclass(frozen=True)
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
