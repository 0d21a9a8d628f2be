"""One renderer for command results: text for people, JSON for machines.

Command code returns result objects and never prints; cli.py hands them here.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Protocol

from researchflow.base.safetext import terminal_block


class Renderable(Protocol):
    def to_json(self) -> Any: ...

    def to_text(self) -> str: ...


def emit(result: Renderable, *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, default=str) + "\n")
        return
    # every text result may quote files: no escape sequence or bidi override reaches the
    # terminal (JSON above stays exact; json.dumps escapes controls itself)
    text = terminal_block(result.to_text())
    if text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
