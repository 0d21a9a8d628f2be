"""The only place that runs git.

Plain `git` subprocesses rather than GitPython here: they start in milliseconds and let
batched object reads (`cat-file --batch`) stay under our control for the fast paths.
"""

from __future__ import annotations

import os
from pathlib import Path

from researchflow.adapters.process import CommandFailed, run
from researchflow.errors import UserError


def git(root: Path, *args: str, check: bool = True) -> str:
    try:
        return run(["git", *args], cwd=root, check=check).stdout
    except FileNotFoundError:
        raise UserError("git is not installed (install git and try again)") from None


def is_repository(root: Path) -> bool:
    try:
        return git(root, "rev-parse", "--git-dir", check=False).strip() != ""
    except UserError:
        return False


def require_repository(root: Path) -> None:
    if not is_repository(root):
        raise UserError(f"{root}: not a git repository (run `git init` first)")


def config_value(root: Path, key: str) -> str | None:
    try:
        value = git(root, "config", "--get", key).strip()
    except CommandFailed:
        return None
    return value or None


def acting_user(root: Path) -> str:
    """RFLOW_USER if set, else git's user.name."""
    user = os.environ.get("RFLOW_USER", "").strip() or config_value(root, "user.name")
    if not user:
        raise UserError('no acting user: set RFLOW_USER or `git config user.name "Your Name"`')
    return user
