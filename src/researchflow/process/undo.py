"""Opening a hypothesis all or nothing: what has been done so far (a local branch, the
switch to it, refs pushed, a merge request, the plan a checkout wrote) is undone in reverse
on any failure, Ctrl-C and a full disk included."""

from __future__ import annotations

import contextlib
import shutil
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from researchflow.adapters import git
from researchflow.adapters import gitlab as gl
from researchflow.adapters.process import CommandFailed
from researchflow.base.errors import RflowError, UserError

RESERVE_FILES = 16


@dataclass
class Undo:
    """What has been done so far, undone in reverse on any failure (Ctrl-C included)."""

    root: Path
    remote: str
    original: str
    detached: bool
    local: tuple[str, str] | None = None  # branch, sha
    switched: bool = False
    remote_refs: dict[str, str] = field(default_factory=dict)
    merge_request: tuple[gl.GitlabProject, int] | None = None
    plan: tuple[Path, str] | None = None  # the plan file a checkout may have written, its text
    reserve: Path | None = None  # space set aside so the undo can run on a full disk

    def run(self) -> list[str]:
        left: list[str] = []
        self.release()  # first: deleting a branch needs a lock file, so an inode
        if self.merge_request is not None:
            project, iid = self.merge_request
            try:
                gl.close_merge_request(project, iid)
            except (RflowError, OSError):
                left.append(f"merge request !{iid} is still open (close it in GitLab)")
            self.merge_request = None
        if self.remote_refs:
            try:
                # only what is really there and still ours (a push cut short may not have
                # landed, and someone may have replaced a ref since)
                there = git.remote_refs(self.root, self.remote, *self.remote_refs)
                ours = {ref: sha for ref, sha in self.remote_refs.items() if there.get(ref) == sha}
                git.delete_remote_refs(self.root, self.remote, ours)
            except (RflowError, OSError, CommandFailed):
                names = ", ".join(sorted(self.remote_refs))
                left.append(f"{names} left on {self.remote} (delete with git push --delete)")
            self.remote_refs = {}
        if self.switched:
            try:
                git.switch(self.root, self.original, detach=self.detached)
                self.switched = False
            except RflowError as error:
                left.append(str(error))
        if self.plan is not None and not self.switched:
            # a checkout cut short (a full disk) leaves the plan untracked: remove it, and
            # so free the space the branch deletion below needs
            remove_written(self.root, *self.plan)
            self.plan = None
        if self.local is not None and not self.switched:
            branch, sha = self.local
            git.delete_branch(self.root, branch, sha)
            if git.rev_parse(self.root, f"refs/heads/{branch}") == sha:
                left.append(f"branch {branch} is left (delete it with git branch -D {branch})")
            self.local = None
        return left

    def set_aside(self) -> None:
        """Write a small file now that the undo deletes first: on a disk that fills up
        while rflow works, git then still has room to delete the branch."""
        folder = git.rev_parse_path(self.root, "--git-common-dir")
        if folder is None:
            return
        self.reserve = folder / "rflow-undo.reserve"
        try:  # several files: switching back and deleting the branch each need an inode
            self.reserve.mkdir(exist_ok=True)
            for index in range(RESERVE_FILES):
                (self.reserve / str(index)).write_bytes(b"\0" * 4096)
        except OSError as error:
            self.release()
            raise UserError(
                f"{self.root}: the disk is full ({error.strerror}) (free some space, then run "
                "`rflow new-hypothesis` again)"
            ) from None

    def release(self) -> None:
        if self.reserve is not None:
            shutil.rmtree(self.reserve, ignore_errors=True)
            self.reserve = None


def holds(path: Path, text: str) -> bool:
    """Whether `path` holds `text` (line endings aside: git may check out CRLF)."""
    try:
        return path.read_bytes().replace(b"\r\n", b"\n") == text.encode("utf-8")
    except OSError:
        return False


def remove_written(root: Path, path: Path, text: str) -> None:
    """Delete `path` if it still holds exactly `text`, then the empty folders the checkout
    made for it (`undo.plan` is set while they do not exist yet)."""
    if path.exists():
        if not holds(path, text):
            return  # not what rflow wrote: never delete someone's file
        try:
            path.unlink()
        except OSError:
            return
    folder = path.parent
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()  # only when empty
        except FileNotFoundError:
            pass  # the checkout stopped before making it
        except OSError:
            break
        folder = folder.parent


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """A second Ctrl-C must not cut the undo short (only the main thread gets signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def interrupt_safe(undo: Undo) -> Iterator[None]:
    try:
        yield
    except BaseException as error:
        with _no_interrupts():
            left = undo.run()
        if left and isinstance(error, RflowError | CommandFailed):
            kind = type(error) if isinstance(error, RflowError) else UserError
            raise kind(f"{error}; could not undo everything: {'; '.join(left)}") from None
        if isinstance(error, CommandFailed):  # e.g. a full disk: one line, exit 2
            raise UserError(f"{error} (nothing was left behind)") from None
        raise
    finally:
        undo.release()
