"""The one way tests run git: in a test repository, stdout back, a loud failure."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in `cwd` and return its stdout; an AssertionError naming the command fails."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=dict(env) if env is not None else None,
    )
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def commit_all(repo: Path, message: str) -> str:
    """Stage everything, commit, and return the new commit's SHA."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()
