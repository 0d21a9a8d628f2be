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


# --- runs (issue 4): repository state and reads at a revision, without a checkout -------


def head_commit(root: Path) -> str:
    try:
        return git(root, "rev-parse", "--verify", "HEAD").strip()
    except CommandFailed:
        raise UserError(f"{root}: the repository has no commits yet (commit first)") from None


def current_branch(root: Path) -> str | None:
    """The checked-out branch, or None when HEAD is detached."""
    return git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip() or None


def changed_paths(root: Path) -> list[str]:
    """Every path `git status` reports: modified, staged, deleted or untracked."""
    out = git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    paths: list[str] = []
    fields = iter(out.split("\0"))
    for item in fields:
        if not item:
            continue
        paths.append(item[3:])
        if item[0] in "RC":  # a rename or copy is followed by its source path
            next(fields, None)
    return paths


def commit_exists(root: Path, sha: str) -> bool:
    return (
        run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], cwd=root, check=False).returncode == 0
    )


def list_files(root: Path, rev: str | None = None) -> list[str]:
    """Paths at a revision (`ls-tree`), or in the working tree (tracked and untracked)."""
    if rev is None:
        out = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    else:
        try:
            out = git(root, "ls-tree", "-r", "-z", "--name-only", rev)
        except CommandFailed:
            raise UserError(f"{rev}: not a revision of this repository") from None
    return sorted({path for path in out.split("\0") if path})


def read_files(root: Path, rev: str, paths: list[str]) -> dict[str, bytes]:
    """The contents of `paths` at `rev` in one `git cat-file --batch`; absent paths omitted."""
    if not paths:
        return {}
    request = "".join(f"{rev}:{path}\n" for path in paths).encode("utf-8")
    import subprocess

    result = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=root, input=request, capture_output=True, check=True
    )
    contents: dict[str, bytes] = {}
    data = result.stdout
    position = 0
    for path in paths:
        end = data.index(b"\n", position)
        header = data[position:end].split(b" ")
        position = end + 1
        if header[-1] in (b"missing", b"ambiguous") or len(header) != 3:
            continue
        size = int(header[2])
        contents[path] = data[position : position + size]
        position += size + 1  # the object is followed by a newline
    return contents
