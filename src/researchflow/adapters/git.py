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


def current_branch(root: Path) -> str | None:
    """The checked-out branch's short name, or None on a detached HEAD."""
    try:
        name = git(root, "symbolic-ref", "--quiet", "--short", "HEAD").strip()
    except CommandFailed:
        return None
    return name or None


def read_blobs(root: Path, specs: list[tuple[str, str]]) -> dict[tuple[str, str], bytes | None]:
    """The content of each (revision, path) in ONE `git cat-file --batch`; None when absent.

    subprocess directly, not process.run: the batch protocol counts bytes, so the output
    must stay binary (plans may hold non-ASCII titles).
    """
    import subprocess

    unique = list(dict.fromkeys(specs))
    if not unique:
        return {}
    request = "".join(f"{rev}:{path}\n" for rev, path in unique).encode("utf-8")
    try:
        done = subprocess.run(
            ["git", "cat-file", "--batch"], cwd=root, input=request, capture_output=True
        )
    except FileNotFoundError:
        raise UserError("git is not installed (install git and try again)") from None
    if done.returncode != 0:
        raise CommandFailed(
            ["git", "cat-file", "--batch"], done.returncode, "", done.stderr.decode()
        )
    out = done.stdout
    result: dict[tuple[str, str], bytes | None] = {}
    position = 0
    for spec in unique:
        end = out.index(b"\n", position)
        line = out[position:end]
        position = end + 1
        if line.endswith((b" missing", b" ambiguous")):
            result[spec] = None
            continue
        _, kind, size_text = line.split()
        size = int(size_text)
        if kind != b"blob":  # a folder or a commit, not a file
            result[spec] = None
            position += size + 1
            continue
        result[spec] = out[position : position + size]
        position += size + 1
    return result


def acting_user(root: Path) -> str:
    """RFLOW_USER if set, else git's user.name."""
    user = os.environ.get("RFLOW_USER", "").strip() or config_value(root, "user.name")
    if not user:
        raise UserError('no acting user: set RFLOW_USER or `git config user.name "Your Name"`')
    return user
