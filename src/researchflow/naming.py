"""Hypothesis IDs, slugs and branch names (pure)."""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"^H-(\d{3,})$")
ID_PREFIX_PATTERN = re.compile(r"^(H-\d{3,})(?:-|$)")


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.match(value) is not None


def id_number(hypothesis_id: str) -> int:
    match = ID_PATTERN.match(hypothesis_id)
    if match is None:
        raise ValueError(f"not a hypothesis ID: {hypothesis_id!r}")
    return int(match.group(1))


def format_id(number: int) -> str:
    return f"H-{number:03d}"


def id_from_name(name: str) -> str | None:
    """The ID a folder or branch leaf starts with (`H-007-graded-target` → `H-007`)."""
    match = ID_PREFIX_PATTERN.match(name)
    return match.group(1) if match else None
