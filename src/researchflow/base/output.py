"""One renderer for command results: text for people, JSON for machines.

Command code returns result objects and never prints; the CLI (cli/table.py) hands them here.
"""

from __future__ import annotations

import sys

from researchflow.base import TYPE_CHECKING
from researchflow.base.safetext import terminal_block

if TYPE_CHECKING:
    from typing import Any, Protocol

    class Renderable(Protocol):
        def to_json(self) -> Any: ...

        def to_text(self) -> str: ...


def emit(result: Renderable, *, as_json: bool) -> None:
    if as_json:
        import json  # not on the pre-commit hook's plain text path

        sys.stdout.write(json.dumps(result.to_json(), indent=2, default=str) + "\n")
        return
    # every text result may quote files: no escape sequence or bidi override reaches the
    # terminal (JSON above stays exact; json.dumps escapes controls itself)
    text = terminal_block(result.to_text())
    if text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def fields_json(result: Any, **renamed: str) -> dict[str, Any]:
    """A result's fields (`@frozen` or a dataclass), in order, as JSON values (paths as
    text, tuples as lists), each under its own name or the one `renamed` gives it."""
    from pathlib import PurePath

    from researchflow.base.frozen import fields

    def plain(value: Any) -> Any:
        if isinstance(value, PurePath):
            return str(value)
        return list(value) if isinstance(value, tuple) else value

    return {
        renamed.get(field.name, field.name): plain(getattr(result, field.name))
        for field in fields(result)
    }


def attributes(source: Any, *names: str) -> dict[str, Any]:
    """`{name: source.name}` for each name, in order: JSON keys that are attribute names."""
    return {name: getattr(source, name) for name in names}
