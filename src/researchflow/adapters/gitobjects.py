"""Batched reads of many files from many refs, without a checkout.

One `git for-each-ref` lists the refs; one `git cat-file --batch` process then answers
every `<commit>:<path>` lookup, so reading 500 branches costs two processes, not 1,000.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

from researchflow.adapters.git import Started, git, git_process
from researchflow.adapters.process import CommandFailed
from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen

HEADS = "refs/heads/"
REMOTES = "refs/remotes/"
FALLBACK_DEFAULTS = ("main", "master")


@frozen
class Ref:
    """A local or remote-tracking branch: `refs/remotes/origin/hyp/x` → branch `hyp/x`."""

    refname: str
    commit: str
    symref: str = ""

    @property
    def remote(self) -> str | None:
        if not self.refname.startswith(REMOTES):
            return None
        return self.refname[len(REMOTES) :].split("/", 1)[0]

    @property
    def branch(self) -> str:
        """The branch name without `refs/heads/` or `refs/remotes/<remote>/`."""
        if self.refname.startswith(HEADS):
            return self.refname[len(HEADS) :]
        if self.refname.startswith(REMOTES):
            return self.refname[len(REMOTES) :].split("/", 1)[-1]
        return self.refname

    @property
    def shown(self) -> str:
        """The name a user types: `hyp/x` for a local branch, `origin/hyp/x` for a remote one."""
        if self.refname.startswith(HEADS):
            return self.branch
        if self.refname.startswith(REMOTES):
            return self.refname[len(REMOTES) :]
        return self.refname


def _git_failure(argv: Sequence[str], stderr: str) -> UserError:
    detail = (stderr.strip().splitlines() or ["no output"])[-1]
    return UserError(f"`{' '.join(argv)}` failed: {detail} (run rflow inside a git repository)")


def list_refs(
    root: Path,
    prefix: str,
    *,
    remote: str = "origin",
    base: str | None = None,
    started: Started | None = None,
) -> list[Ref]:
    """Hypothesis branches (local and remote-tracking) plus the default-branch candidates.

    One `git for-each-ref` call (`start_list_refs` starts it early); `*` in its patterns
    also matches `/`, so `hyp/*` finds every branch under the prefix on every remote.
    """
    args = _listing(prefix, remote, base)
    try:
        # surrogateescape round-trips any byte back into cat-file requests
        if started is not None and started.args == args:
            out = started.output(check=True, errors="surrogateescape")
        else:
            if started is not None:
                started.cancel()
            out = git(root, *args, errors="surrogateescape")
    except CommandFailed as error:
        raise _git_failure(["git", *args], error.stderr) from None
    refs: list[Ref] = []
    for line in out.splitlines():
        parts = line.split("\0")
        if len(parts) == 3:
            refs.append(Ref(parts[0], parts[1], parts[2]))
    return refs


def start_list_refs(
    root: Path, prefix: str, *, remote: str = "origin", base: str | None = None
) -> Started:
    """`list_refs`'s `git for-each-ref`, started now: status starts it before its imports."""
    return Started(root, *_listing(prefix, remote, base))


def _listing(prefix: str, remote: str, base: str | None) -> tuple[str, ...]:
    defaults = [base] if base else list(FALLBACK_DEFAULTS)
    patterns = [f"{HEADS}{prefix}*", f"{REMOTES}*/{prefix}*", f"{REMOTES}{remote}/HEAD"]
    for name in defaults:
        patterns += [f"{HEADS}{name}", f"{REMOTES}{remote}/{name}"]
    return ("for-each-ref", "--format=%(refname)%00%(objectname)%00%(symref)", *patterns)


def remote_head(refs: Iterable[Ref], remote: str = "origin") -> str | None:
    """The branch `<remote>/HEAD` points at, when the listed refs include it."""
    for ref in refs:
        if ref.refname == f"{REMOTES}{remote}/HEAD" and ref.symref.startswith(
            f"{REMOTES}{remote}/"
        ):
            return ref.symref[len(f"{REMOTES}{remote}/") :]
    return None


def default_branch_refs(
    refs: Iterable[Ref], names: Iterable[str], *, remote: str = "origin"
) -> list[Ref]:
    """The local and remote-tracking copies (local first) of the first of `names` (the
    default branch's candidate names, best first: `project.default_branch_names`) found."""
    by_name = {ref.refname: ref for ref in refs}
    for name in names:
        found = [
            by_name[refname]
            for refname in (f"{HEADS}{name}", f"{REMOTES}{remote}/{name}")
            if refname in by_name
        ]
        if found:
            return found
    return []


@frozen
class TreeEntry:
    mode: str
    name: str

    @property
    def is_tree(self) -> bool:
        return self.mode == "40000"


def parse_tree(raw: bytes, hash_bytes: int) -> list[TreeEntry]:
    """A raw tree object (`<mode> <name>\\0<binary id>`…) → its entries."""
    entries: list[TreeEntry] = []
    position = 0
    while position < len(raw):
        space = raw.index(b" ", position)
        nul = raw.index(b"\0", space)
        name = raw[space + 1 : nul].decode("utf-8", "surrogateescape")
        entries.append(TreeEntry(raw[position:space].decode("ascii"), name))
        position = nul + 1 + hash_bytes
    return entries


@frozen
class GitObject:
    oid: str
    type: str
    data: bytes


class ObjectReader:
    """One long-lived `git cat-file --batch` answering many lookups.

    Requests are written from a helper thread while answers are read here, so a large
    batch cannot deadlock on full pipes.
    """

    def __init__(self, root: Path) -> None:
        self._process = git_process(root, "cat-file", "--batch")

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        process = self._process
        if process.stdin and not process.stdin.closed:
            process.stdin.close()
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
        process.wait()

    def read_many(self, names: Sequence[str]) -> list[GitObject | None]:
        """Objects named `<rev>:<path>` (or ids), None where missing; answers in order."""
        wanted = [name for name in names if "\n" not in name]
        if not wanted:
            return [None] * len(names)
        payload = "".join(f"{name}\n" for name in wanted).encode("utf-8", "surrogateescape")
        writer = threading.Thread(target=self._write, args=(payload,), daemon=True)
        writer.start()
        answers = {name: self._read_one() for name in wanted}
        writer.join()
        return [answers.get(name) for name in names]

    def read(self, name: str) -> GitObject | None:
        return self.read_many([name])[0]

    def _write(self, payload: bytes) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(payload)
            stdin.flush()
        except BrokenPipeError:  # git died; _read_one reports it
            pass

    def _read_one(self) -> GitObject | None:
        stdout = self._process.stdout
        assert stdout is not None
        header = stdout.readline()
        if not header:
            stderr = self._process.stderr.read().decode(errors="replace")  # type: ignore[union-attr]
            raise _git_failure(["git", "cat-file", "--batch"], stderr)
        line = header.rstrip(b"\n").decode("utf-8", "surrogateescape")
        if line.endswith((" missing", " ambiguous")):
            return None
        oid, kind, size = line.rsplit(" ", 2)
        data = stdout.read(int(size))
        stdout.read(1)  # the newline after every object
        return GitObject(oid, kind, data)


__all__ = [
    "GitObject",
    "ObjectReader",
    "Ref",
    "TreeEntry",
    "default_branch_refs",
    "list_refs",
    "parse_tree",
    "remote_head",
]


def read_blobs(root: Path, specs: list[tuple[str, str]]) -> dict[tuple[str, str], bytes | None]:
    """The content of each (revision, path) in ONE `git cat-file --batch`; None when absent
    or not a file."""
    unique = list(dict.fromkeys(specs))
    if not unique:
        return {}
    with ObjectReader(root) as reader:
        found = reader.read_many([f"{rev}:{path}" for rev, path in unique])
    return {
        spec: obj.data if obj is not None and obj.type == "blob" else None
        for spec, obj in zip(unique, found, strict=True)
    }


def read_files(root: Path, rev: str, paths: list[str]) -> dict[str, bytes]:
    """The contents of `paths` at `rev` in one `git cat-file --batch`; absent paths omitted."""
    blobs = read_blobs(root, [(rev, path) for path in paths])
    return {path: blob for (_, path), blob in blobs.items() if blob is not None}
