"""Atomic writes: a temporary file in the same folder, fsync, os.replace; and the free-space
check that runs before work rflow could not record."""

from __future__ import annotations

import os
from pathlib import Path

from researchflow.base.errors import UserError

# Below this, git and rflow's own writes start to fail half-way: refuse before starting
MIN_FREE_BYTES = 1024 * 1024
MIN_FREE_INODES = 64


def require_space(folder: Path, command: str) -> None:
    """A UserError when the file system holding `folder` is (nearly) full."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return  # cannot tell: the write itself will say
    free = stats.f_bavail * stats.f_frsize
    inodes_short = stats.f_files > 0 and stats.f_favail < MIN_FREE_INODES
    if free < MIN_FREE_BYTES or inodes_short:
        shown = f"{free // 1024} KB free" if not inodes_short else "no free inodes"
        raise UserError(
            f"{folder}: the disk is full ({shown}; rflow needs at least "
            f"{MIN_FREE_BYTES // 1024} KB) (free some space, then run `rflow {command}` again)"
        )


def write_atomic(path: Path, content: str | bytes) -> None:
    import tempfile  # with shutil and random: not worth importing for commands that only read

    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
