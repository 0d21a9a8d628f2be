"""Role rule: a confirmatory run is made by the executor (pure).

At `rflow run` time: a run that will be confirmatory (the registered command, or its
baseline_command, on an approved plan with no deviation awaiting re-approval, from a clean
tree) is refused unless the acting user is the plan's `roles.executor`; every run records
its user by the name the plan knows them by (`recorded_name`). Exploratory runs are anyone's.

At the gate: who made a run is the user `rflow run` recorded (runs.yaml `user`, the store's
`mlflow.user`); for an entry without one (made before users were recorded, or `rflow
link`ed), the git author of the run's commit, matched to the executor through the same
`people:` map as approvals (a name → its git e-mails). Waived by a written `roles.reason`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from researchflow.base.problems import Problem
from researchflow.documents.plan import Plan, Roles
from researchflow.process.steproles import Actor, Refusal


def recorded_name(user: Actor, roles: Roles | None) -> str:
    """The acting user by the plan's name for them (`carol`, not `Carol Executor`), the
    executor first, so a run's record and the gate's re-check speak of the same person."""
    if roles is not None:
        named = [roles.executor, roles.author, roles.designer, *roles.reviewers]
        for name in named:
            if name and user.is_(name):
                return name
    return user.name


def will_be_confirmatory(plan: Plan, argv: Sequence[str], dirty: bool) -> bool:
    """Whether a run of `argv` now would count as confirmatory evidence: the registered
    command (or baseline_command), an approved plan, no deviation awaiting re-approval, a
    clean tree. The gate decides from git and the store; this is the same rule, read early."""
    from researchflow.verdicts.evidence import parse_time

    registered = {plan.command, plan.evaluation.baseline_command} - {()}
    if dirty or plan.approval is None or tuple(argv) not in registered:
        return False
    if not plan.deviations:
        return True
    deviated = parse_time(plan.deviations[-1].at)
    approved = parse_time(plan.reapprovals[-1].at) if plan.reapprovals else None
    return approved is not None and deviated is not None and approved >= deviated


def run_refusal(plan: Plan, user: Actor) -> Refusal | None:
    """Why `user` may not make a confirmatory run of `plan`; None when they may."""
    executor = plan.roles.executor
    if not executor or plan.roles.reason or user.is_(executor):
        return None
    return Refusal(
        "roles.executor",
        f"a run of the registered command on the approved plan is confirmatory, and "
        f"{user.name} is not the executor {executor}",
        f"run it as {executor}: RFLOW_USER={executor}, git's user.name or an e-mail `people:` "
        "maps to them; or write why in roles.reason; nothing was run",
    )


def executor_problems(
    *,
    executor: str | None,
    waived: bool,
    people: Mapping[str, tuple[str, ...]],
    runs: Iterable[tuple[str, str | None, str | None, str | None]],
    path: str,
) -> list[Problem]:
    """`runs`: (run ID, the user rflow recorded, the commit's author name, author e-mail)
    of each confirmatory run."""
    if not executor or waived:
        return []
    emails = {e.casefold() for e in people.get(executor, ())}
    problems: list[Problem] = []
    for run_id, user, author, email in runs:
        if user is not None:  # recorded when the run was made: it decides
            if user == executor:
                continue
        elif not emails:
            continue  # nothing to judge by: no recorded user, no `people:` entry
        elif (email and email.casefold() in emails) or author == executor:
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
