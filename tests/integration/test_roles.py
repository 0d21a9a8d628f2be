"""Role rules from review on: designer ≠ author; the approver is none of author, designer
and executor; each waived only by a written roles.reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.plans import GOOD_FRONT_MATTER, plan_text, write_plan
from support.git import git

ROLES = "roles: {{author: alice, designer: bob, executor: carol, reviewers: [dave]}}"


def _plan(repo: Path, roles: str, *, extra: str = "") -> Path:
    front = GOOD_FRONT_MATTER.replace(ROLES, roles).replace("approval: null\n", extra)
    path = write_plan(repo, text=plan_text(front_matter=front))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan")
    return path


def _problems(rflow) -> list[str]:
    outcome = rflow("validate", "--json")
    return [f"{p['field']}: {p['message']}" for p in json.loads(outcome.stdout)["problems"]]


def test_designer_who_is_the_author_fails_unless_a_reason_is_written(repo: Path, rflow) -> None:
    _plan(repo, "roles: {{author: alice, designer: alice, executor: carol, reviewers: [dave]}}")
    assert _problems(rflow) == ["roles.designer: the designer is also the author"]
    _plan(
        repo,
        "roles: {{author: alice, designer: alice, executor: carol, reviewers: [dave], "
        "reason: 'two-person team: the design was reviewed by the whole team'}}",
    )
    assert _problems(rflow) == []


@pytest.mark.parametrize(("approver", "role"), [("bob", "designer"), ("carol", "executor")])
def test_approval_by_designer_or_executor_fails_unless_a_reason_is_written(
    repo: Path, rflow, approver: str, role: str
) -> None:
    approval = f"approval: {{{{by: {approver}, at: 2026-11-23T10:00:00Z, digest: sha256:0}}}}\n"
    roles = "roles: {{author: alice, designer: bob, executor: carol, reviewers: [bob, carol]}}"
    _plan(repo, roles, extra=approval)
    problems = [p for p in _problems(rflow) if p.startswith("approval.by")]
    assert problems == [f"approval.by: approved by the {role} ({approver})"]
    waived = roles.replace("]}}", "], reason: 'the only statistician approved'}}")
    _plan(repo, waived, extra=approval)
    assert not [p for p in _problems(rflow) if p.startswith("approval.by")]


@pytest.mark.parametrize("approver", ["bob", "carol"])
def test_approve_refuses_the_designer_and_the_executor(
    repo: Path, rflow, monkeypatch, approver: str
) -> None:
    roles = "roles: {{author: alice, designer: bob, executor: carol, reviewers: [bob, carol]}}"
    path = _plan(repo, roles)
    before = path.read_bytes()
    monkeypatch.setenv("RFLOW_USER", approver)
    outcome = rflow("approve", "H-007")
    assert outcome.code == 2
    assert "cannot approve this plan" in outcome.stderr
    assert path.read_bytes() == before
    _plan(repo, roles.replace("]}}", "], reason: 'a team of three'}}"))
    assert rflow("approve", "H-007").code == 0
