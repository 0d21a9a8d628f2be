"""Template placeholders fail from `review` on (issue 14, problem 5), and `outcome` must
agree with the report's verdicts in validate and check (problem 6)."""

from __future__ import annotations

from pathlib import Path

from fixtures.experiment import failing
from fixtures.plans import GOOD_BODY, GOOD_FRONT_MATTER, plan_text, write_plan

from researchflow.documents.frontmatter import set_fields

PLAN = "research/H-007-graded-target/plan.qmd"


def template_values(front_matter: str = GOOD_FRONT_MATTER) -> str:
    return (
        front_matter.replace("metric: recall_at_10", "metric: TODO_metric")
        .replace("baseline: 0.42", "baseline: 0.0")
        .replace("data: [data/responses.csv]", "data: []")
    )


BODY_NAMING_DATA = GOOD_BODY.replace(
    "Responses from the last 12 weeks, deduplicated per customer.",
    "Responses from data/responses.csv, the last 12 weeks, deduplicated per customer.",
)


def test_template_placeholders_at_review_fail_validate_and_approve(
    repo: Path, rflow, monkeypatch
) -> None:
    path = write_plan(repo, text=plan_text(front_matter=template_values(), body=BODY_NAMING_DATA))
    outcome = rflow("validate")
    assert outcome.code == 1
    lines = outcome.stdout.strip().splitlines()
    assert (
        f"{PLAN}:11: predictions[0].metric: 'TODO_metric' is the template's placeholder"
        in (lines[0])
    )
    assert any(
        "predictions[0].baseline: 0.0 is the template's placeholder baseline" in x for x in lines
    )
    assert any(
        "data: empty, but the experiment design names data/responses.csv" in x for x in lines
    )
    assert len(lines) == 3

    monkeypatch.setenv("RFLOW_USER", "dave")
    before = path.read_bytes()
    refused = rflow("approve", "H-007")
    assert refused.code == 2 and "TODO_metric" in refused.stderr
    assert path.read_bytes() == before


def test_the_same_values_in_a_draft_pass_and_real_values_pass_review(repo: Path, rflow) -> None:
    draft = template_values().replace("status: review", "status: draft")
    path = write_plan(repo, text=plan_text(front_matter=draft, body=BODY_NAMING_DATA))
    assert rflow("validate").code == 0
    # a baseline that truly is zero is written as 0; data not named in the design may be empty
    honest = GOOD_FRONT_MATTER.replace("baseline: 0.42", "baseline: 0").replace(
        "data: [data/responses.csv]", "data: []"
    )
    path.write_text(plan_text(front_matter=honest), encoding="utf-8")
    outcome = rflow("validate")
    assert outcome.code == 0, outcome.stdout


def conclude_by_hand(plan: Path, outcome: str, conclusion: str) -> None:
    text = plan.read_text(encoding="utf-8")
    plan.write_text(
        set_fields(text, {"status": "concluded", "outcome": outcome, "conclusion": conclusion}),
        encoding="utf-8",
    )


def test_outcome_that_contradicts_the_report_fails_validate_and_check(experiment, rflow) -> None:
    plan = experiment.folder / "plan.qmd"
    conclude_by_hand(plan, "refuted", "the graded target does not help")
    outcome = rflow("validate", str(plan))
    assert outcome.code == 1
    assert (
        "plan.qmd:5: outcome: outcome refuted disagrees with the report's verdict confirmed "
        "(score: confirmed)" in outcome.stdout
    )
    experiment.commit("H-001: concluded, wrongly")
    result = experiment.check()
    assert result["code"] == 1
    report_problems = failing(result)["report"]
    assert any(
        "outcome refuted disagrees with the report's verdict confirmed" in p
        for p in report_problems
    )


def test_no_word_in_the_conclusion_overrules_the_verdicts(experiment, rflow) -> None:
    plan = experiment.folder / "plan.qmd"
    conclude_by_hand(
        plan, "inconclusive", "confirmed on toy data only; one run cannot carry the claim"
    )
    outcome = rflow("validate", str(plan))
    assert outcome.code == 1
    assert "outcome inconclusive disagrees with the report's verdict confirmed" in outcome.stdout
    conclude_by_hand(plan, "confirmed", "the graded target helps")
    assert rflow("validate", str(plan)).code == 0


def test_outcome_confirmed_without_a_confirmatory_run_fails_whatever_the_conclusion(
    experiment,
) -> None:
    from fixtures.experiment import HYPOTHESIS, git, rflow_in, write_report

    # rewind to the plan for review: the only run is made before the approval (exploratory)
    found = git(experiment.repo, "log", "--format=%H", "--grep=plan for review", "-1")
    git(experiment.repo, "reset", "-q", "--hard", found.strip())
    assert rflow_in(experiment.repo, "run", HYPOTHESIS) == 0
    experiment.commit("H-001: an early look")
    assert rflow_in(experiment.repo, "approve", HYPOTHESIS, RFLOW_USER="dave") == 0
    experiment.commit("H-001: approved by dave", author="dave")
    assert rflow_in(experiment.repo, "report", HYPOTHESIS) == 0
    write_report(experiment.folder / "report.qmd")
    conclude_by_hand(
        experiment.folder / "plan.qmd", "confirmed", "inconclusive by the numbers, confirmed"
    )
    experiment.commit("H-001: concluded")
    result = experiment.check()
    assert result["code"] == 1
    assert (
        "outcome: outcome confirmed, but no confirmatory run backs any verdict (set 'outcome: "
        "inconclusive': the outcome follows from the confirmatory verdicts)"
    ) in failing(result)["report"]
