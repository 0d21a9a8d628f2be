"""The gate re-checks the lifecycle from history (issue 23): each step by the role it
belongs to, committed by the person it names, and no conclusion without a sign-off."""

from __future__ import annotations

import pytest
from fixtures.experiment import HYPOTHESIS, Experiment, failing
from support.cli import run_in_process

from researchflow.documents.document import parse_document
from researchflow.documents.frontmatter import set_fields

pytestmark = pytest.mark.slow


def _lifecycle_problems(experiment: Experiment) -> list[str]:
    return [p for p in failing(experiment.check()).get("plan", []) if p.startswith("lifecycle")]


def test_a_sign_off_committed_by_its_reviewer_passes(experiment: Experiment) -> None:
    assert run_in_process(["signoff", HYPOTHESIS], env={"RFLOW_USER": "dave"}).code == 0
    experiment.commit("H-001: results signed off", author="dave")

    assert _lifecycle_problems(experiment) == []


def test_a_sign_off_written_in_the_reviewers_name_by_someone_else_fails(
    experiment: Experiment,
) -> None:
    assert run_in_process(["signoff", HYPOTHESIS], env={"RFLOW_USER": "dave"}).code == 0
    experiment.commit("H-001: signed off (by carol, as dave)", author="carol")

    [problem] = _lifecycle_problems(experiment)
    assert problem.startswith("lifecycle[0]: signoff by dave was committed in ")
    assert "by carol <carol@example.com>" in problem


def test_a_hand_written_conclusion_by_the_executor_without_sign_off_fails(
    experiment: Experiment,
) -> None:
    plan = experiment.folder / "plan.qmd"
    text = plan.read_text(encoding="utf-8")
    event = [{"event": "conclude", "at": "2026-12-01T10:00:00Z", "by": "carol"}]
    plan.write_text(
        set_fields(
            text,
            {
                "status": "concluded",
                "outcome": "confirmed",
                "conclusion": "it helps",
                "lifecycle": event,
            },
        ),
        encoding="utf-8",
    )
    experiment.commit("H-001: concluded", author="carol")

    problems = _lifecycle_problems(experiment)

    assert any(
        p.startswith("lifecycle[0]: conclude is the author's step and carol is not the author")
        for p in problems
    )
    assert any(p.startswith("lifecycle: concluded without a results sign-off") for p in problems)


def _second_review(experiment: Experiment, by: str) -> None:
    """A team that needs two approvals; a second review written into the plan for `by`."""
    (experiment.repo / "researchflow.yaml").write_text(
        "review: {min_approvals: 2}\n", encoding="utf-8"
    )
    plan = experiment.folder / "plan.qmd"
    text = plan.read_text(encoding="utf-8").replace("reviewers: [dave]", "reviewers: [dave, erin]")
    approval = parse_document(text).front_matter["approval"]
    review = {"by": by, "at": approval["at"], "digest": approval["digest"]}
    plan.write_text(set_fields(text, {"reviews": [review]}), encoding="utf-8")


def test_a_second_review_committed_by_its_reviewer_satisfies_team_review(
    experiment: Experiment,
) -> None:
    _second_review(experiment, "erin")
    experiment.commit("H-001: erin's review", author="erin")

    assert failing(experiment.check()).get("plan") is None


def test_a_second_review_forged_in_a_reviewers_name_fails(experiment: Experiment) -> None:
    _second_review(experiment, "erin")
    experiment.commit("H-001: a review, written by the author")

    problems = failing(experiment.check())["plan"]

    assert any(
        p.startswith("reviews[0]: approval by erin was committed in ")
        and "by Alice Author <alice@example.com>" in p
        for p in problems
    )


def test_a_review_in_the_authors_name_counts_for_nothing(experiment: Experiment) -> None:
    _second_review(experiment, "alice")
    experiment.commit("H-001: the author reviews", author="alice")

    problems = failing(experiment.check())["plan"]

    assert any(p.startswith("approval: approved by 1 of the 2 reviewers") for p in problems)
