"""The only place that runs git.

Plain `git` subprocesses rather than GitPython here: they start in milliseconds and let
batched object reads (`cat-file --batch`) stay under our control for the fast paths.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from researchflow.adapters.process import CommandFailed as CommandFailed  # re-exported
from researchflow.adapters.process import run
from researchflow.base.errors import ServiceUnavailable, UserError
from researchflow.base.frozen import field, frozen


def git(root: Path, *args: str, check: bool = True, errors: str = "strict") -> str:
    try:
        return run(["git", *args], cwd=root, check=check, errors=errors).stdout
    except FileNotFoundError:
        raise UserError("git is not installed (install git and try again)") from None


def git_process(root: Path, *args: str) -> subprocess.Popen[bytes]:
    """A long-lived git (`cat-file --batch`) with binary pipes on stdin, stdout and stderr."""
    return _start(root, args, stdin=subprocess.PIPE)


def _start(root: Path, args: tuple[str, ...], *, stdin: int) -> subprocess.Popen[bytes]:
    """git started in the background, its output and errors on binary pipes."""
    try:
        return subprocess.Popen(
            ["git", *args], cwd=root, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except FileNotFoundError:
        raise UserError("git is not installed (install git and try again)") from None


class Started:
    """A git command started now and read later (`output`): its work overlaps ours."""

    def __init__(self, root: Path, *args: str) -> None:
        self.args = args
        self._process = _start(root, args, stdin=subprocess.DEVNULL)

    def output(self, *, check: bool = False, errors: str = "strict") -> str:
        """What it printed, as `git(root, *args, check=check, errors=errors)` returns it."""
        out, err = self._process.communicate()
        if check and self._process.returncode != 0:
            raise CommandFailed(
                ["git", *self.args],
                self._process.returncode,
                out.decode(errors="replace"),
                err.decode(errors="replace"),
            )
        return out.decode("utf-8", errors)

    def cancel(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()


def is_ancestor(root: Path, commit: str, head: str) -> bool:
    """Whether `commit` is `head` or one of its ancestors."""
    return (
        run(["git", "merge-base", "--is-ancestor", commit, head], cwd=root, check=False).returncode
        == 0
    )


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


def acting_email(root: Path) -> str | None:
    """git's user.email, unless RFLOW_USER names the acting user outright."""
    if os.environ.get("RFLOW_USER", "").strip():
        return None
    return config_value(root, "user.email")


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


def dirty_patch(root: Path, untracked: list[str]) -> bytes:
    """`git diff HEAD` (binary-safe), then the untracked files a rerun would have needed,
    named in a trailing comment: what an `--allow-dirty` run ran on top of its commit."""
    text = git(root, "diff", "--binary", "HEAD", errors="surrogateescape")
    diff = text.encode("utf-8", "surrogateescape")  # the bytes git wrote, whatever they are
    if not untracked:
        return diff
    listing = "".join(f"# untracked: {path}\n" for path in untracked)
    return diff + b"\n# untracked files, not in the patch:\n" + listing.encode("utf-8")


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


# --- branches, commits without a checkout, pushes and their rollback (issue 3) ---------

RESERVATION_NAMESPACE = "refs/rflow/ids/"  # one ref per allocated ID, on the remote
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
_UNREACHABLE = (
    "could not read from remote repository",
    "unable to access",
    "could not resolve host",
    "connection refused",
    "connection timed out",
    "operation timed out",
    "network is unreachable",
    "does not appear to be a git repository",
)
_NO_PUSH_OPTIONS = "does not support push options"
_MR_URL = re.compile(r"https?://\S+/-/merge_requests/\d+")


def redact(text: str) -> str:
    """Drop `user:token@` from URLs before text reaches a message or a log."""
    return _CREDENTIALS.sub("***@", text)


def _failure_line(error: CommandFailed) -> str:
    lines = [line.strip() for line in (error.stderr or error.stdout).splitlines() if line.strip()]
    interesting = [line for line in lines if line.startswith(("fatal:", "error:", "!"))]
    return redact((interesting or lines or ["no output"])[-1])


def looks_unreachable(output: str) -> bool:
    lowered = output.lower()
    return any(marker in lowered for marker in _UNREACHABLE)


def rev_parse_path(root: Path, option: str) -> Path | None:
    """A folder `git rev-parse` names (`--git-common-dir`), absolute; None outside a repo."""
    shown = git(root, "rev-parse", option, check=False).strip()
    return (root / shown).resolve() if shown else None


def rev_parse(root: Path, rev: str) -> str | None:
    """The full sha `rev` names (a commit), or None when it names nothing."""
    sha = git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    return sha.strip() or None


def remote_url(root: Path, remote: str) -> str | None:
    return config_value(root, f"remote.{remote}.url")


def fetch(root: Path, remote: str) -> None:
    """Bring remote-tracking branches up to date; an unreachable remote is exit 3."""
    try:
        git(root, "fetch", "--quiet", remote)
    except CommandFailed as error:
        detail = _failure_line(error)
        if looks_unreachable(error.stderr):
            raise ServiceUnavailable(f"cannot reach remote {remote!r}: {detail}") from None
        raise UserError(f"git fetch {remote} failed: {detail}") from None


def branch_names(root: Path) -> list[str]:
    """Local and remote-tracking branch names (`hyp/H-001-x`, `origin/hyp/H-001-x`)."""
    out = git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes")
    return [line for line in out.splitlines() if line]


def tree_names(root: Path, rev: str, folder: str) -> list[str]:
    """Entry names directly inside `folder` at commit `rev` (no checkout)."""
    out = git(root, "ls-tree", "-z", "--name-only", f"{rev}:{folder}", check=False)
    return [name for name in out.split("\0") if name]


def tracked_under(root: Path, path: str) -> bool:
    """Whether git tracks `path` (a file, or anything under a folder) at HEAD or in the index."""
    out = git(root, "--literal-pathspecs", "ls-files", "-z", "--", path, check=False)
    return bool(out.strip("\0"))


def diff_paths(
    root: Path, base: str, head: str, folder: str, *, diff_filter: str | None = None
) -> list[str]:
    """Paths under `folder` that differ between `base` and `head`, exactly as named: read
    with `-z`, so git never quotes a space, a Cyrillic letter or an emoji."""
    args = ["diff", "-z", "--name-only", "--no-renames"]
    if diff_filter:
        args.append(f"--diff-filter={diff_filter}")
    out = git(root, "--literal-pathspecs", *args, base, head, "--", folder)
    return [name for name in out.split("\0") if name]


def remote_refs(root: Path, remote: str, *patterns: str) -> dict[str, str]:
    """Ref name → sha on the remote itself (not the local view of it)."""
    try:
        out = git(root, "ls-remote", "--refs", remote, *patterns)
    except CommandFailed as error:
        detail = _failure_line(error)
        if looks_unreachable(error.stderr):
            raise ServiceUnavailable(f"cannot reach remote {remote!r}: {detail}") from None
        raise UserError(f"git ls-remote {remote} failed: {detail}") from None
    refs: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, name = line.partition("\t")
        if name:
            refs[name] = sha
    return refs


def remote_default_branch(root: Path, remote: str, *, ask_remote: bool = True) -> str | None:
    """The branch the remote's HEAD points at: `<remote>/HEAD`, else ask the remote."""
    ref = git(root, "symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD", check=False)
    prefix = f"refs/remotes/{remote}/"
    if ref.strip().startswith(prefix):
        return ref.strip()[len(prefix) :]
    if not ask_remote:
        return None
    out = git(root, "ls-remote", "--symref", remote, "HEAD", check=False)
    for line in out.splitlines():
        if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
            return line[len("ref: refs/heads/") : -len("\tHEAD")]
    return None


def commit_files(root: Path, parent: str, files: dict[str, str], message: str) -> str:
    """A commit of `parent` plus `files` (path → text), built without touching the
    working tree or the index, so nothing is half-written if we stop midway."""
    import tempfile  # only commands that write commits pay for it

    with tempfile.TemporaryDirectory(prefix="rflow-index-") as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}

        def plumbing(*args: str, input: str | None = None) -> str:
            return run(["git", *args], cwd=root, env=env, input=input).stdout.strip()

        plumbing("read-tree", parent)
        for path, text in files.items():
            blob = plumbing("hash-object", "-w", "--stdin", input=text)
            plumbing("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
        tree = plumbing("write-tree")
        return plumbing("commit-tree", tree, "-p", parent, "-F", "-", input=message)


def create_branch(root: Path, name: str, sha: str) -> None:
    """Create refs/heads/<name> at sha; fails if it exists (the empty old value)."""
    git(root, "update-ref", "-m", "rflow: new hypothesis", f"refs/heads/{name}", sha, "")


def delete_branch(root: Path, name: str, expected: str) -> None:
    """Delete refs/heads/<name> only if it still points at `expected`."""
    git(root, "update-ref", "-d", f"refs/heads/{name}", expected, check=False)


def switch(root: Path, target: str, *, detach: bool = False) -> None:
    """Check out a branch (or a commit with detach); refuses to lose local changes."""
    args = ["switch", "--quiet", *(["--detach"] if detach else []), target]
    try:
        git(root, *args)
    except CommandFailed as error:
        raise UserError(
            f"cannot check out {target}: {_failure_line(error)} (commit or stash your changes)"
        ) from None


@frozen
class PushResult:
    ok: bool
    taken: bool  # rejected because a ref we create already exists on the remote
    options_sent: bool
    merge_request_url: str | None
    detail: str  # the one line that explains a failure
    landed: tuple[str, ...] = ()  # refs on the remote at our sha, even after a failure
    reasons: dict[str, str] = field(default_factory=dict)  # ref → why it was rejected


def push_new_refs(
    root: Path,
    remote: str,
    sha: str,
    refs: list[str],
    *,
    options: list[str] | None = None,
) -> PushResult:
    """Create `refs` (full names) on the remote at sha, all or none (`--atomic`).

    Each ref must not exist yet (`--force-with-lease=<ref>:` with an empty value), so two
    clones racing for the same name cannot both win. Push options go to the remote's
    hooks (GitLab opens the merge request from them); a remote without push-option
    support gets the push without them. A remote may still accept some refs of an atomic
    push (refs it hides are refused before the transaction): `landed` says which.
    """
    leases = [f"--force-with-lease={ref}:" for ref in refs]
    refspecs = [f"{sha}:{ref}" for ref in refs]
    option_args = [arg for option in options or [] for arg in ("--push-option", option)]
    argv = ["push", "--porcelain", "--atomic", *leases, *option_args, remote, *refspecs]
    result = run(["git", *argv], cwd=root, check=False)
    if result.returncode != 0 and option_args and _NO_PUSH_OPTIONS in result.stderr:
        return push_new_refs(root, remote, sha, refs, options=None)
    match = _MR_URL.search(result.stderr)
    url = match.group(0) if match else None
    if result.returncode == 0:
        return PushResult(True, False, bool(option_args), url, "", tuple(refs))
    error = CommandFailed(["git", *argv], result.returncode, result.stdout, result.stderr)
    detail = _failure_line(error)
    if looks_unreachable(f"{result.stdout}\n{result.stderr}"):
        raise ServiceUnavailable(f"cannot reach remote {remote!r}: {detail}")
    # Ask the remote rather than parse the rejection: did someone else create a ref first?
    existing = remote_refs(root, remote, *refs)
    taken = any(existing.get(ref) not in (None, sha) for ref in refs)
    landed = tuple(ref for ref in refs if existing.get(ref) == sha)
    reasons = _rejections(result.stdout)
    return PushResult(False, taken, bool(option_args), url, detail, landed, reasons)


def _rejections(porcelain: str) -> dict[str, str]:
    """`!<TAB>src:dst<TAB>[remote rejected] (reason)` lines → {dst: "[...] (reason)"}."""
    reasons: dict[str, str] = {}
    for line in porcelain.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] == "!" and ":" in parts[1]:
            reasons[parts[1].split(":", 1)[1]] = parts[2]
    return reasons


def delete_remote_refs(root: Path, remote: str, refs: dict[str, str]) -> None:
    """Delete refs (full name → the sha we pushed) on the remote, only if still ours."""
    if not refs:
        return
    leases = [f"--force-with-lease={ref}:{sha}" for ref, sha in refs.items()]
    git(root, "push", "--quiet", "--atomic", *leases, remote, *[f":{ref}" for ref in refs])


@frozen
class UpdateResult:
    ok: bool
    moved: bool  # rejected because a ref was no longer where we expected (someone pushed)
    detail: str


def push_ref_updates(root: Path, remote: str, sha: str, expected: dict[str, str]) -> UpdateResult:
    """Move each ref (full name) on the remote to sha, all or none (`--atomic`), only if it
    is still at its expected sha ("" = must not exist yet): a lease per ref."""
    leases = [f"--force-with-lease={ref}:{old}" for ref, old in expected.items()]
    argv = ["push", "--porcelain", "--atomic", *leases, remote]
    argv += [f"{sha}:{ref}" for ref in expected]
    result = run(["git", *argv], cwd=root, check=False)
    if result.returncode == 0:
        return UpdateResult(True, False, "")
    error = CommandFailed(["git", *argv], result.returncode, result.stdout, result.stderr)
    detail = _failure_line(error)
    if looks_unreachable(f"{result.stdout}\n{result.stderr}"):
        raise ServiceUnavailable(f"cannot reach remote {remote!r}: {detail}")
    there = remote_refs(root, remote, *expected)
    moved = any(there.get(ref, "") != old for ref, old in expected.items())
    return UpdateResult(False, moved, detail)


def fast_forward_branch(root: Path, branch: str, sha: str) -> str | None:
    """Bring the local `branch` to sha when that only moves it forward; a note otherwise.

    The checked-out branch is moved with `git merge --ff-only` so the working tree follows.
    """
    local = rev_parse(root, f"refs/heads/{branch}")
    if local is None or local == sha:
        return None
    ancestor = run(["git", "merge-base", "--is-ancestor", local, sha], cwd=root, check=False)
    if ancestor.returncode != 0:
        return f"your local {branch} has diverged from the backlog commit: `git pull` it"
    if current_branch(root) == branch:
        merged = run(["git", "merge", "--ff-only", "--quiet", sha], cwd=root, check=False)
        if merged.returncode != 0:
            return f"could not fast-forward your checked-out {branch}: `git pull` it"
        return None
    git(root, "update-ref", f"refs/heads/{branch}", sha, local)
    return None


def commit_authors(root: Path, shas: list[str]) -> dict[str, tuple[str, str]]:
    """Commit sha → (author name, author e-mail), for the commits that exist."""
    wanted = [sha for sha in dict.fromkeys(shas) if sha]
    if not wanted:
        return {}
    out = git(root, "show", "-s", "--format=%H%x1f%an%x1f%ae", *wanted, check=False)
    found: dict[str, tuple[str, str]] = {}
    for line in out.splitlines():
        parts = line.split("\x1f")
        if len(parts) == 3:
            found[parts[0]] = (parts[1], parts[2])
    return found


def is_shallow(root: Path) -> bool:
    return git(root, "rev-parse", "--is-shallow-repository", check=False).strip() == "true"


@frozen
class CommitInfo:
    sha: str
    author_name: str
    author_email: str
    committed: str  # ISO 8601 committer date


def file_commits(
    root: Path, path: str, rev: str = "HEAD", since: str | None = None
) -> list[CommitInfo]:
    """The commits that touched `path` in `rev`'s history (after `since`), oldest first."""
    revs = f"{since}..{rev}" if since else rev
    out = git(
        root,
        "--literal-pathspecs",  # a folder named with * or [ is a name, not a pattern
        "log",
        "--reverse",
        "--topo-order",
        "--format=%H%x1f%an%x1f%ae%x1f%cI",
        revs,
        "--",
        path,
    )
    commits = []
    for line in out.splitlines():
        parts = line.split("\x1f")
        if len(parts) == 4:
            commits.append(CommitInfo(*parts))
    return commits


def descendants(root: Path, commit: str, head: str = "HEAD") -> set[str]:
    """Commits between `commit` and `head` that contain `commit` (itself included)."""
    out = git(root, "rev-list", "--ancestry-path", f"{commit}..{head}", check=False)
    return {commit, *out.split()}


def signature_status(root: Path, sha: str, allowed_signers: Path) -> tuple[str, str]:
    """git's verdict on a commit's signature (%G?: G good, B bad, N none, ...) and the
    signer (%GS: for SSH the principal the allowed-signers file names)."""
    out = git(
        root,
        "-c",
        f"gpg.ssh.allowedSignersFile={allowed_signers}",
        "log",
        "-1",
        "--format=%G?%x1f%GS",
        sha,
        check=False,
    )
    status, _, signer = out.strip().partition("\x1f")
    return status or "N", signer
