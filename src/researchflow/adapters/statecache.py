"""A small JSON memo under `.rflow/cache/`: derived data keyed by immutable git blob ids.

Losing or corrupting it only costs time, so every failure reads as an empty memo.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from researchflow.base import TYPE_CHECKING
from researchflow.base.fileio import write_atomic

if TYPE_CHECKING:
    from typing import Any


def load(path: Path, fingerprint: str) -> dict[str, Any]:
    """The remembered entries, or {} when absent, unreadable or from other settings."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return {}
    import json  # only with a memo to read: a repository without .rflow/ never pays for it

    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def save(path: Path, fingerprint: str, entries: dict[str, Any]) -> None:
    """Replace the memo atomically; a read-only checkout just goes without one."""
    import json

    payload = json.dumps({"fingerprint": fingerprint, "entries": entries}, separators=(",", ":"))
    with contextlib.suppress(OSError):
        write_atomic(path, payload)
