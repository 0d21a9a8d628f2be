"""The error of a file that cannot be read as a document at all (line, field, fix)."""

from __future__ import annotations


class DocumentError(Exception):
    """The file cannot be read as a document at all."""

    def __init__(self, line: int, field: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.line = line
        self.field = field
        self.message = message
        self.fix = fix
