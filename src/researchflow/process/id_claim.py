"""Claiming a hypothesis ID on the remote: one atomic push of the branch and a reservation
ref `refs/rflow/ids/<ID>` that must not exist yet, so two clones that picked the same
number cannot both win; the loser moves on to the next number."""

from __future__ import annotations

from pathlib import Path

from researchflow.adapters import git
from researchflow.base.errors import UserError
from researchflow.process.undo import Undo

_ATOMIC_ONLY = "atomic push failed"


def claim(
    root: Path,
    remote: str,
    sha: str,
    branch: str,
    hypothesis_id: str,
    options: list[str] | None,
    undo: Undo,
    notes: list[str],
) -> git.PushResult | None:
    """Push the branch and the ID's reservation; None when another clone holds either."""
    branch_ref = f"refs/heads/{branch}"
    reservation = f"{git.RESERVATION_NAMESPACE}{hypothesis_id}"
    undo.remote_refs = dict.fromkeys([branch_ref, reservation], sha)
    pushed = git.push_new_refs(root, remote, sha, [branch_ref, reservation], options=options)
    if pushed.ok:
        return pushed
    if pushed.taken:
        return None
    refused = pushed.reasons.get(reservation, "")
    others = [reason for ref, reason in pushed.reasons.items() if ref != reservation]
    if refused and _ATOMIC_ONLY not in refused and all(_ATOMIC_ONLY in r for r in others):
        # The remote refuses refs outside branches and tags (as some servers do): go on
        # with the branch alone; only an identical branch name then reveals a race.
        notes.append(
            f"{remote} refused {reservation} {refused}: the ID is protected by the branch name only"
        )
        if branch_ref in pushed.landed:
            return pushed
        return _push_branch(root, remote, sha, branch_ref, options)
    raise _rejected(remote, pushed)


def claim_branch(
    root: Path, remote: str, sha: str, branch: str, options: list[str] | None, undo: Undo
) -> git.PushResult | None:
    """Push a groomed idea's branch, which must not exist yet; None when it does."""
    branch_ref = f"refs/heads/{branch}"
    undo.remote_refs = {branch_ref: sha}
    return _push_branch(root, remote, sha, branch_ref, options)


def _push_branch(
    root: Path, remote: str, sha: str, branch_ref: str, options: list[str] | None
) -> git.PushResult | None:
    """The branch alone, which must not exist yet; None when it does."""
    pushed = git.push_new_refs(root, remote, sha, [branch_ref], options=options)
    if pushed.ok:
        return pushed
    if pushed.taken:
        return None
    raise _rejected(remote, pushed)


def _rejected(remote: str, pushed: git.PushResult) -> UserError:
    return UserError(
        f"push to {remote} rejected: {pushed.detail} (check your access to the remote "
        "and its push rules, then rerun)"
    )
