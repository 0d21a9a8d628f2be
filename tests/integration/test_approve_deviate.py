"""`rflow approve` and `rflow deviate` in a real git repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.plans import plan_text, write_plan
from support.git import git

from researchflow.documents.config import SectionsConfig
from researchflow.documents.document import parse_document
from researchflow.documents.registration import digest

PLAN = "research/H-007-graded-target/plan.qmd"


@pytest.fixture
def plan_in_review(repo: Path) -> Path:
    path = write_plan(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan H-007")
    return path


def as_user(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("RFLOW_USER", name)


def test_approval_by_author_is_refused(plan_in_review: Path, rflow, monkeypatch) -> None:
    as_user(monkeypatch, "alice")
    before = plan_in_review.read_bytes()
    outcome = rflow("approve", "H-007")
    assert outcome.code == 2
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1
    assert PLAN in lines[0] and "roles.author" in lines[0]
    assert plan_in_review.read_bytes() == before


def test_author_is_git_user_name_when_rflow_user_is_unset(plan_in_review: Path, rflow) -> None:
    git(plan_in_review.parents[2], "config", "user.name", "alice")
    outcome = rflow("approve", "H-007")
    assert outcome.code == 2
    assert "roles.author" in outcome.stderr


def test_reviewer_approval_records_digest_and_keeps_the_rest(
    plan_in_review: Path, rflow, monkeypatch
) -> None:
    as_user(monkeypatch, "dave")
    before = plan_in_review.read_text(encoding="utf-8")
    outcome = rflow("approve", "H-007", "--json")
    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    after = plan_in_review.read_text(encoding="utf-8")
    document = parse_document(after)
    approval = document.front_matter["approval"]
    assert approval == {"by": "dave", "at": result["at"], "digest": result["digest"]}
    assert approval["at"].endswith("Z")
    assert approval["digest"] == digest(parse_document(before), SectionsConfig())
    assert document.front_matter["status"] == "approved"
    assert after.split("\n---\n", 1)[1] == before.split("\n---\n", 1)[1]
    assert list(document.front_matter) == list(parse_document(before).front_matter)
    # nothing is committed: the reviewer commits the approval
    assert git(plan_in_review.parents[2], "status", "--porcelain").strip() == f"M {PLAN}"
    assert rflow("validate").code == 0


def test_approve_defaults_to_the_hypothesis_of_the_current_branch(
    plan_in_review: Path, rflow, monkeypatch
) -> None:
    git(plan_in_review.parents[2], "switch", "-q", "-c", "hyp/H-007-graded-target")
    as_user(monkeypatch, "dave")
    assert rflow("approve").code == 0
    assert "approval:\n  by: dave" in plan_in_review.read_text(encoding="utf-8")


def test_approve_off_a_hypothesis_branch_asks_for_the_id(plan_in_review: Path, rflow) -> None:
    outcome = rflow("approve")
    assert outcome.code == 2
    assert "branch main is not a hypothesis branch" in outcome.stderr
    assert "pass the hypothesis ID" in outcome.stderr


@pytest.mark.parametrize(
    ("change", "user", "message"),
    [
        (("status: review", "status: draft"), "dave", "still a draft"),
        (("status: review", "status: draft"), "dave", "status: review"),
        (("reviewers: [dave]", "reviewers: [erin]"), "dave", "roles.reviewers"),
        (("Label noise", "TODO"), "dave", "## Risks"),
    ],
    ids=["draft", "draft says how", "not a reviewer", "placeholder section"],
)
def test_approve_refuses_a_plan_not_ready(
    repo: Path, rflow, monkeypatch, change, user, message
) -> None:
    path = write_plan(repo, text=plan_text().replace(*change))
    as_user(monkeypatch, user)
    before = path.read_bytes()
    outcome = rflow("approve", "H-007")
    assert outcome.code == 2
    assert message in outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert path.read_bytes() == before


def test_second_approval_is_refused(plan_in_review: Path, rflow, monkeypatch) -> None:
    as_user(monkeypatch, "dave")
    assert rflow("approve", "H-007").code == 0
    outcome = rflow("approve", "H-007")
    assert outcome.code == 2
    assert "already approved by dave" in outcome.stderr


def test_unknown_hypothesis_is_named(repo: Path, rflow) -> None:
    outcome = rflow("approve", "H-404")
    assert outcome.code == 2
    assert "no plan for H-404" in outcome.stderr


def test_deviation_on_an_unapproved_plan_is_refused(plan_in_review: Path, rflow) -> None:
    outcome = rflow("deviate", "H-007", "--reason", "bigger sample")
    assert outcome.code == 2
    assert "not approved" in outcome.stderr and PLAN in outcome.stderr


def test_deviation_is_appended_with_the_new_digest(
    plan_in_review: Path, rflow, monkeypatch
) -> None:
    as_user(monkeypatch, "dave")
    assert rflow("approve", "H-007").code == 0
    edited = plan_in_review.read_text(encoding="utf-8").replace(
        "min_effect: 0.02", "min_effect: 0.01"
    )
    plan_in_review.write_text(edited, encoding="utf-8")
    assert rflow("registration-hook", PLAN).code == 1
    as_user(monkeypatch, "carol")  # the executor: deviating is the author's step
    refused = rflow("deviate", "H-007", "--reason", "the 2-point effect was unrealistic")
    assert refused.code == 2
    assert "roles.author: deviate is the author's step and carol is not" in refused.stderr
    as_user(monkeypatch, "alice")
    outcome = rflow("deviate", "H-007", "--reason", "the 2-point effect was unrealistic")
    assert outcome.code == 0, outcome.stderr
    document = parse_document(plan_in_review.read_text(encoding="utf-8"))
    [deviation] = document.front_matter["deviations"]
    assert deviation["by"] == "alice"
    assert deviation["reason"] == "the 2-point effect was unrealistic"
    assert deviation["digest"] == digest(document, SectionsConfig())
    assert rflow("registration-hook", PLAN).code == 0
    assert rflow("validate").code == 0


def test_empty_deviation_reason_is_refused(plan_in_review: Path, rflow) -> None:
    outcome = rflow("deviate", "H-007", "--reason", "  ")
    assert outcome.code == 2
    assert "--reason" in outcome.stderr


def test_team_review_needs_min_approvals_distinct_reviewers(
    plan_in_review: Path, repo: Path, rflow, monkeypatch
) -> None:
    (repo / "researchflow.yaml").write_text("review: {min_approvals: 2}\n", encoding="utf-8")
    text = plan_in_review.read_text(encoding="utf-8").replace(
        "reviewers: [dave]", "reviewers: [dave, erin]"
    )
    plan_in_review.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two reviewers")

    as_user(monkeypatch, "dave")
    first = rflow("approve", "H-007")
    assert first.code == 0, first.stderr
    assert "1 of the 2 reviewers the team requires" in first.stdout
    fm = parse_document(plan_in_review.read_text(encoding="utf-8")).front_matter
    assert fm["status"] == "review" and fm.get("approval") is None
    assert [r["by"] for r in fm["reviews"]] == ["dave"]
    twice = rflow("approve", "H-007")
    assert twice.code == 2 and "dave approved this plan already" in twice.stderr

    as_user(monkeypatch, "erin")
    second = rflow("approve", "H-007")
    assert second.code == 0, second.stderr
    fm = parse_document(plan_in_review.read_text(encoding="utf-8")).front_matter
    assert fm["status"] == "approved" and fm["approval"]["by"] == "erin"
    assert rflow("validate").code == 0


def test_a_hand_written_approval_short_of_the_team_review_fails_validate(
    plan_in_review: Path, repo: Path, rflow, monkeypatch
) -> None:
    as_user(monkeypatch, "dave")
    assert rflow("approve", "H-007").code == 0  # one approval was enough then
    (repo / "researchflow.yaml").write_text("review: {min_approvals: 2}\n", encoding="utf-8")

    outcome = rflow("validate")

    assert outcome.code == 1
    assert "approval: approved by 1 of the 2 reviewers the team requires (dave)" in outcome.stdout


def test_min_approvals_below_one_is_a_config_error(repo: Path, rflow) -> None:
    (repo / "researchflow.yaml").write_text("review: {min_approvals: 0}\n", encoding="utf-8")
    outcome = rflow("validate")
    assert outcome.code == 2
    assert "researchflow.yaml:1: review.min_approvals: must be a whole number >= 1, not 0" in (
        outcome.stderr
    )
