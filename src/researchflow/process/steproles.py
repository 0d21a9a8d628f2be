"""Who may take each step of a hypothesis's life, and the hard limits on starting and
extending (pure: a plan's roles, the acting user and counts in; one problem line out).

The process decides, rflow enforces: `start`, `hold`, `resume` and `extend` belong to the
executor; `deviate`, `conclude` and `abandon` to the author; `approve` and `signoff` to a
reviewer who is none of author, designer and executor. A written `roles.reason` is the only
waiver of a role rule; a limit is passed only with a recorded `--override` reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from researchflow.base import TYPE_CHECKING
from researchflow.base.frozen import frozen
from researchflow.base.problems import Problem
from researchflow.documents.plan import Plan, Roles

if TYPE_CHECKING:
    from typing import Any


@frozen
class Actor:
    """Who is acting: the name shown, and every plan name that person answers to."""

    name: str
    names: frozenset[str]

    def is_(self, role_name: str | None) -> bool:
        return bool(role_name) and role_name in self.names


def actor(name: str, email: str | None, people: Mapping[str, tuple[str, ...]]) -> Actor:
    """Without an e-mail (RFLOW_USER names the user outright) exactly one name. Otherwise
    git's user.name, the plan names whose `people:` e-mails include git's user.email, and,
    with no `people:` entry for it, the e-mail's local part (alice@example.com: alice)."""
    if not email:
        return Actor(name, frozenset({name}))
    folded = email.casefold()
    names = {name}
    names.update(p for p, emails in people.items() if folded in {e.casefold() for e in emails})
    local = folded.split("@", 1)[0]
    if local and local not in people:
        names.add(local)
    return Actor(name, frozenset(names))


STEP_ROLE = {
    "start": "executor",
    "hold": "executor",
    "resume": "executor",
    "extend": "executor",
    "deviate": "author",
    "conclude": "author",
    "abandon": "author",
}


@frozen
class Refusal:
    """Why a step is refused: the plan field, the problem and the fix."""

    field: str
    message: str
    fix: str

    def line(self, shown: str) -> str:
        """The one-line error a command prints: `path: field: problem (fix)`."""
        return f"{shown}: {self.field}: {self.message} ({self.fix})"


def step_problem(step: str, user: Actor, roles: Roles) -> Refusal | None:
    """Why `user` may not take `step`; None when they may."""
    role = STEP_ROLE.get(step)
    if role is None or roles.reason:
        return None
    holder = roles.author if role == "author" else roles.executor
    if not holder or user.is_(holder):
        return None
    return Refusal(
        f"roles.{role}",
        f"{step} is the {role}'s step and {user.name} is not the {role} {holder}",
        f"run it as {holder}, e.g. RFLOW_USER={holder}, or write why in roles.reason",
    )


def reviewer_problem(verb: str, command: str, user: Actor, roles: Roles) -> Refusal | None:
    """`approve` and `signoff`: a named reviewer who is none of author, designer, executor
    (a written roles.reason waives designer and executor, never the author)."""
    if user.is_(roles.author):
        return Refusal(
            "roles.author",
            f"{user.name} wrote this plan and cannot {verb} it",
            f"a reviewer who is not the author runs `rflow {command}`",
        )
    for role, name in (("designer", roles.designer), ("executor", roles.executor)):
        if user.is_(name) and not roles.reason:
            return Refusal(
                f"roles.{role}",
                f"{user.name} is the {role} and cannot {verb} this plan",
                "ask another reviewer, or write why in roles.reason",
            )
    if roles.reviewers and not any(user.is_(r) for r in roles.reviewers):
        names = ", ".join(roles.reviewers)
        return Refusal(
            "roles.reviewers",
            f"{user.name} is not a reviewer of this plan",
            f"ask {names}, or add {user.name} to roles.reviewers first",
        )
    return None


def wip_problem(executor: str, running: list[str], limit: int) -> Refusal | None:
    """Starting one more past the executor's work-in-progress limit needs an override."""
    if len(running) < limit:
        return None
    return Refusal(
        "roles.executor",
        f"{executor} already runs {len(running)} ({', '.join(running)}) and the WIP limit "
        f"is {limit}",
        'finish or `rflow hold` one first, or pass --override "why" to record an exception',
    )


def timebox_problem(days: int, maximum: int) -> Refusal | None:
    """Extending past the team's longest timebox needs an override."""
    if days <= maximum:
        return None
    return Refusal(
        "timebox_days",
        f"{days} days is past timebox_max_days {maximum}",
        'split the hypothesis, or pass --override "why" to record an exception',
    )


def approvers(plan: Plan) -> list[str]:
    """The distinct reviewers who approved the registered content: the earlier `reviews`
    of the same digest, then the approval itself; only names the reviewer rules allow
    (a review written in the author's name counts for nothing)."""
    if plan.approval is None:
        names = [r.by for r in plan.reviews]
    else:
        digest = plan.approval.digest
        names = [r.by for r in plan.reviews if r.digest == digest] + [plan.approval.by]
    eligible = [
        n for n in names if reviewer_problem("approve", "approve", _named(n), plan.roles) is None
    ]
    return list(dict.fromkeys(eligible))


def _named(name: str) -> Actor:
    return Actor(name, frozenset({name}))


def team_review_problems(plan: Plan, line: int, shown: str, min_approvals: int) -> list[Problem]:
    """An approval counts once `review.min_approvals` distinct reviewers approved it."""
    if plan.approval is None or min_approvals <= 1:
        return []
    names = approvers(plan)
    if len(names) >= min_approvals:
        return []
    return [
        Problem(
            shown,
            line,
            "approval",
            f"approved by {len(names)} of the {min_approvals} reviewers the team requires "
            f"({', '.join(names)})",
            "another named reviewer runs `rflow approve` on the same plan first",
        )
    ]


def lifecycle_problems(plan: Plan, line: int, shown: str) -> list[Problem]:
    """The lifecycle as written: each entry taken by the role its step belongs to, and a
    concluded hypothesis signed off by a reviewer (the gate re-checks the commits too)."""
    roles = plan.roles
    problems: list[Problem] = []
    fix = "the person the plan names takes the step (or write why in roles.reason)"
    for index, event in enumerate(plan.lifecycle):
        actor_ = _named(event.by)
        if event.event == "signoff":
            refusal = reviewer_problem("sign off on", "signoff", actor_, roles)
        else:
            refusal = step_problem(event.event, actor_, roles)
        if refusal is not None:
            problems.append(Problem(shown, line, f"lifecycle[{index}]", refusal.message, fix))
    signed = any(e.event == "signoff" for e in plan.lifecycle)
    if plan.status == "concluded" and not signed:
        problems.append(
            Problem(
                shown,
                line,
                "lifecycle",
                "concluded without a results sign-off",
                f"a reviewer runs `rflow signoff {plan.id}` before `rflow conclude`",
            )
        )
    return problems


def entry_authors(commits: Sequence[Any], rules: Any, shown: str, key: str) -> list[Problem]:
    """Each entry of the plan's list `key` (`lifecycle`, `reviews`) a merge request added must
    come in a commit its `by:` person authored (matched like approvals: `people:` e-mails,
    else the author name)."""
    from researchflow.verdicts.history import same_person, short

    problems: list[Problem] = []
    seen = 0
    for commit in commits:
        if commit.plan is None:
            continue
        entries = getattr(commit.plan, key)
        for index in range(seen, len(entries)):
            entry = entries[index]
            if not commit.trusted and not same_person(entry.by, commit, rules):
                what = getattr(entry, "event", "approval")
                problems.append(
                    Problem(
                        shown,
                        1,
                        f"{key}[{index}]",
                        f"{what} by {entry.by} was committed in {short(commit.sha)} by "
                        f"{commit.author_name} <{commit.author_email}>",
                        f"{entry.by} commits their own step (map their git e-mails in people:)",
                    )
                )
        seen = max(seen, len(entries))
    return problems
