"""`rflow idea`: put an idea in the backlog; an ID, a RICE score, but no branch yet.

The idea is appended to `research/backlog.yaml` in one commit on the base branch, built
with git plumbing (no checkout). Online, that commit and the ID's reservation ref
(`refs/rflow/ids/<ID>`, the same one `new-hypothesis` claims) are pushed in one atomic
push that expects the base branch where it was fetched: two people adding ideas at once
cannot both win, and the loser retries on top of the winner's commit. Then the local base
branch is fast-forwarded when that is safe.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from researchflow.adapters import git
from researchflow.base import names as id_names
from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen
from researchflow.base.output import fields_json
from researchflow.documents.config import Config
from researchflow.documents.plan import Rice
from researchflow.documents.scaffold import rice_option
from researchflow.documents.statements import check_serves
from researchflow.process.backlog import Idea, render_backlog
from researchflow.process.intake import backlog_path, base_start, known_names, read_backlog_at

MAX_ATTEMPTS = 5


@frozen
class IdeaResult:
    idea: Idea
    path: str
    base: str
    pushed: bool
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        own = fields_json(self)
        del own["idea"]
        return {**self.idea.to_json(), **own}

    def to_text(self) -> str:
        idea = self.idea
        where = f"{self.base}" + ("" if self.pushed else " (local only, not pushed)")
        lines = [
            f"{idea.id}: {idea.title}",
            f"  backlog: {self.path} on {where}, RICE {idea.score}",
            f"  groom it when the team picks it: rflow groom {idea.id} --executor NAME",
        ]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def idea(
    config: Config,
    title: str,
    *,
    rice: str,
    author: str | None = None,
    serves: tuple[str, ...] = (),
    base: str | None = None,
    push: bool = True,
    today: dt.date | None = None,
) -> IdeaResult:
    root = config.root
    git.require_repository(root)
    clean = id_names.required_title(title, "idea")
    rice_values = rice_option(rice)
    who = id_names.clean_title(author) if author is not None else git.acting_user(root)
    if not who:
        raise UserError("--author: is empty (give a name, e.g. --author alice)")
    metrics = check_serves(config, serves)
    remote = config.gitlab.remote
    url = git.remote_url(root, remote)
    if push and url is None:
        raise UserError(
            f"no remote {remote!r} to push to (add one with `git remote add {remote} URL`, "
            "or use --no-push)"
        )
    path = backlog_path(config)
    taken: set[str] = set()
    for _attempt in range(MAX_ATTEMPTS):
        if push:
            git.fetch(root, remote)
            base_name, start = base_start(
                config, remote, url, base or config.base_branch, online=True
            )
        else:
            base_name, start = _local_base(config, remote, url, base or config.base_branch)
        ideas = read_backlog_at(config, start)
        names = known_names(config, start, remote, push)
        new = Idea(
            id_names.next_id(names, taken),
            clean,
            Rice(*rice_values),
            who,
            today or dt.date.today(),
            metrics,
        )
        message = f"{new.id}: idea: {clean}\n\nBacklog: {path}\nAdded with `rflow idea`.\n"
        sha = git.commit_files(root, start, {path: render_backlog([*ideas, new])}, message)
        notes: list[str] = []
        if push:
            reservation = f"{git.RESERVATION_NAMESPACE}{new.id}"
            outcome = git.push_ref_updates(
                root, remote, sha, {f"refs/heads/{base_name}": start, reservation: ""}
            )
            if not outcome.ok:
                if outcome.moved:  # someone else got there first: go again on top of it
                    taken.add(new.id)
                    continue
                raise UserError(
                    f"push to {remote} rejected: {outcome.detail} (check your access to "
                    f"{base_name} and its push rules; a protected branch needs the idea "
                    "added through a merge request instead)"
                )
            git.fetch(root, remote)
        note = git.fast_forward_branch(root, base_name, sha)
        if note:
            notes.append(note)
        return IdeaResult(new, path, base_name, push, tuple(notes))
    raise UserError(
        f"{path}: others kept changing the backlog after {MAX_ATTEMPTS} tries; rerun in a moment"
    )


def _local_base(
    config: Config, remote: str, url: str | None, wanted: str | None
) -> tuple[str, str]:
    """Offline, the idea goes on the local base branch (pushed later with it)."""
    name, start = base_start(config, remote, url, wanted, online=False)
    local = git.rev_parse(config.root, f"refs/heads/{name}")
    return name, local or start
