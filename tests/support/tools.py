"""External tools the suite needs. Locally a missing one skips its tests with the reason;
under CI=true it fails them, because CI installs every test dependency and a silent skip
would hide a broken image. Quarto alone is optional everywhere (`rflow render` says so)."""

from __future__ import annotations

import os
import shutil

import pytest

OPTIONAL = frozenset({"quarto"})


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(tool: str, reason: str) -> None:
    """Skip (locally, or for an optional tool) or fail (under CI=true) the current test."""
    if in_ci() and tool not in OPTIONAL:
        pytest.fail(f"{tool} is required under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def require(tool: str, reason: str, *names: str) -> str:
    """The path of `tool` (or the first of `names` found on PATH), else `missing`."""
    for name in names or (tool,):
        found = shutil.which(name)
        if found:
            return found
    missing(tool, reason)
    raise AssertionError("unreachable")  # missing() always raises
