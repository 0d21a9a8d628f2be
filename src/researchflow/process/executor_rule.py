"""Role rule: a confirmatory run is made by the executor (pure).

Who made a run: the store's `mlflow.user` (runs.yaml `user`), else the git author of the
run's commit, matched to the plan's `roles.executor` through the same `people:` map as
approvals (a name → its git e-mails). Judged only where the executor can be identified (a
`people:` entry, or a run's user), and waived by a written `roles.reason`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from researchflow.base.problems import Problem


def executor_problems(
    *,
    executor: str | None,
    waived: bool,
    people: Mapping[str, tuple[str, ...]],
    runs: Iterable[tuple[str, str | None, str | None, str | None]],
    path: str,
) -> list[Problem]:
    """`runs`: (run ID, the store's user, the commit's author name, author e-mail) of each
    confirmatory run."""
    if not executor or waived:
        return []
    emails = {e.casefold() for e in people.get(executor, ())}
    problems: list[Problem] = []
    for run_id, user, author, email in runs:
        if user is None and not emails:
            continue  # nothing to judge by: the executor has no `people:` entry
        if user is not None and user == executor:
            continue
        if email and email.casefold() in emails:
            continue
        if user is None and author == executor:
            continue
        who = user or (f"{author} <{email}>" if email else author) or "someone unknown"
        problems.append(
            Problem(
                path,
                1,
                "roles.executor",
                f"confirmatory run {run_id} was made by {who}, not by the executor {executor}",
                "the executor makes the confirmatory runs (map their git e-mails in `people:`), "
                "or say why in roles.reason",
            )
        )
    return problems
