"""Intake: the backlog on the base branch, and the names an ID may already hide in.

Shared by `rflow idea` (an ID and a backlog entry, no branch) and `rflow new-hypothesis`
/ `rflow groom` (a branch; an idea's ID carries over).
"""

from __future__ import annotations

from collections.abc import Callable

from researchflow.adapters import git, gitobjects
from researchflow.base.errors import UserError
from researchflow.base.names import BACKLOG_FILE
from researchflow.documents.config import Config
from researchflow.process.backlog import BacklogError, Idea, parse_backlog, render_backlog


def backlog_path(config: Config) -> str:
    """research/backlog.yaml, relative to the repository root."""
    return f"{config.research_dir.strip('/')}/{BACKLOG_FILE}"


def read_backlog_at(config: Config, rev: str) -> list[Idea]:
    """The ideas in the backlog file at a commit (none when the file is absent)."""
    path = backlog_path(config)
    raw = gitobjects.read_files(config.root, rev, [path]).get(path)
    try:
        return parse_backlog(raw, path)
    except BacklogError as error:
        raise UserError(f"{error} (fix the file on the base branch)") from None


def known_names(config: Config, start: str, remote: str, online: bool) -> list[str]:
    """Every name an ID may hide in: branches here and on the remote, research/ folders,
    the backlog's ideas, and the remote's reservations (which outlive merged branches)."""
    root = config.root
    names = git.branch_names(root)
    names += git.tree_names(root, start, config.research_dir)
    research = config.research_path
    if research.is_dir():
        names += [entry.name for entry in research.iterdir() if entry.is_dir()]
    names += [idea.id for idea in read_backlog_at(config, start)]
    if online:
        names += list(
            git.remote_refs(root, remote, "refs/heads/*", f"{git.RESERVATION_NAMESPACE}*")
        )
    return names


def base_start(
    config: Config, remote: str, url: str | None, wanted: str | None, *, online: bool
) -> tuple[str, str]:
    """The base branch's name and the commit new work starts from: the local branch when
    the work stays here (`--no-push`) or when it already holds the remote's copy (the
    user's own commits on top); the remote's copy when the local branch is missing or
    behind it."""
    from researchflow.documents.project import default_branches

    root = config.root

    def commit_of(name: str) -> str | None:
        local = git.rev_parse(root, f"refs/heads/{name}")
        shared = git.rev_parse(root, f"refs/remotes/{remote}/{name}") if url else None
        if local is None or shared is None or local == shared:
            return local or shared
        if not online or git.is_ancestor(root, shared, local):
            return local
        return shared

    if wanted is None:
        candidates = default_branches(config, ask_remote=online and url is not None)
        for name in [*candidates, git.current_branch(root)]:
            if name and (start := commit_of(name)):
                return name, start
        raise UserError("no base branch: the repository has no commits yet (commit first)")
    start = commit_of(wanted)
    if start is None:
        raise UserError(
            f"base branch {wanted!r} not found locally or on {remote} "
            "(name an existing branch with --base, or set base_branch in researchflow.yaml)"
        )
    return wanted, start


MAX_ATTEMPTS = 5


def change_backlog(
    config: Config,
    change: Callable[[list[Idea]], tuple[list[Idea], str]],
    *,
    base: str | None = None,
    push: bool = True,
) -> tuple[str, str, bool]:
    """Commit `change(ideas) -> (ideas, message)` to the backlog on the base branch, pushed
    atomically when online (a base branch that moved meanwhile is retried on top), the local
    base branch fast-forwarded. Returns (backlog path, base branch, pushed)."""
    root = config.root
    git.require_repository(root)
    remote = config.gitlab.remote
    url = git.remote_url(root, remote)
    online = push and url is not None
    path = backlog_path(config)
    for _attempt in range(MAX_ATTEMPTS):
        if online:
            git.fetch(root, remote)
        name, start = base_start(config, remote, url, base or config.base_branch, online=online)
        if not online:
            start = git.rev_parse(root, f"refs/heads/{name}") or start
        ideas, message = change(read_backlog_at(config, start))
        sha = git.commit_files(root, start, {path: render_backlog(ideas)}, message)
        if online:
            outcome = git.push_ref_updates(root, remote, sha, {f"refs/heads/{name}": start})
            if not outcome.ok:
                if outcome.moved:
                    continue
                raise UserError(
                    f"push to {remote} rejected: {outcome.detail} (check your access to {name})"
                )
            git.fetch(root, remote)
        git.fast_forward_branch(root, name, sha)
        return path, name, online
    raise UserError(
        f"{path}: others kept changing the backlog after {MAX_ATTEMPTS} tries; rerun in a moment"
    )
