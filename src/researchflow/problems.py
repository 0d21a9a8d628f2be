"""A located problem, formatted the way linters do: `path:line: field: problem (fix)`."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    field: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f" ({self.fix})" if self.fix else ""
        return f"{self.path}:{self.line}: {self.field}: {self.message}{fix}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
