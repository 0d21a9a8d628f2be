"""The registered evaluation: warnings that point a design review at weak statistics."""

from __future__ import annotations

import pytest
from fixtures.plans import GOOD_BODY, GOOD_FRONT_MATTER, plan_text
from fixtures.run_entries import run_entry

from researchflow.documents.config import SectionsConfig
from researchflow.documents.plan_rules import read_plan
from researchflow.verdicts.power import power_rows

PATH = "research/H-007-graded-target/plan.qmd"
STEP = "Bootstrap confidence interval over customers, 1,000 resamples."


def warnings_of(front: str = GOOD_FRONT_MATTER, body: str = GOOD_BODY) -> list[str]:
    result = read_plan(plan_text(front_matter=front, body=body), PATH, SectionsConfig())
    assert result.problems == ()
    return [str(w) for w in result.warnings]


def test_a_statistical_evaluation_naming_the_test_gets_no_warning() -> None:
    assert STEP in GOOD_BODY
    assert warnings_of() == []


@pytest.mark.parametrize(
    "vague", ["We will look at the numbers carefully.", "Compare to last week."]
)
def test_a_statistical_evaluation_silent_on_runs_and_tests_is_warned(vague: str) -> None:
    [warning] = warnings_of(body=GOOD_BODY.replace(STEP, vague))
    assert "### Statistical evaluation: warning: says nothing about the number of runs" in warning
    assert "evaluation.repeats" in warning


def test_a_draft_is_not_warned_about_its_statistics_yet() -> None:
    front = GOOD_FRONT_MATTER.replace("status: review", "status: draft")
    assert warnings_of(front, GOOD_BODY.replace(STEP, "Numbers, carefully.")) == []


def test_interval_matching_with_one_run_is_warned() -> None:
    front = GOOD_FRONT_MATTER.replace(
        "evaluation: {{repeats: 1}}", "evaluation: {{repeats: 1, rerun_match: interval}}"
    )
    [warning] = warnings_of(front)
    assert "evaluation.rerun_match: warning: 'interval' needs an interval" in warning


def test_power_from_the_spread_of_the_runs_so_far() -> None:
    plan = read_plan(plan_text(), PATH, SectionsConfig()).plan
    assert plan is not None
    values = [0.40, 0.44, 0.42, 0.46, 0.38]  # sd 0.0316 around the 0.42 baseline
    runs = [run_entry(f"r{i}", metrics={"recall_at_10": v}) for i, v in enumerate(values)]
    runs.append(run_entry("lost", status="FAILED", metrics={"recall_at_10": 0.9}))
    [row] = power_rows(plan, runs)
    assert row.runs == 5
    assert row.sd == pytest.approx(0.0316228, rel=1e-5)
    # d = 0.02 / 0.0316 = 0.632: G*Power's one-sample t-test needs 22 at alpha .05, power .8
    assert row.needed == 22
    assert row.short and "the plan registers 1 (too few)" in row.to_text()


def test_power_pools_the_spread_within_each_command_not_across_them() -> None:
    plan = read_plan(plan_text(), PATH, SectionsConfig()).plan
    assert plan is not None
    small = [("python", "train.py", "--depth", "2")] * 3
    large = [("python", "train.py", "--depth", "8")] * 3
    values = [0.40, 0.42, 0.44, 0.60, 0.62, 0.64]  # sd 0.02 within each command
    runs = [
        run_entry(f"r{i}", command=command, metrics={"recall_at_10": value})
        for i, (command, value) in enumerate(zip(small + large, values, strict=True))
    ]
    [row] = power_rows(plan, runs)
    assert row.runs == 6
    assert row.sd == pytest.approx(0.02)  # not 0.107 across both commands


def test_power_needs_two_runs_to_see_a_spread() -> None:
    plan = read_plan(plan_text(), PATH, SectionsConfig()).plan
    assert plan is not None
    [row] = power_rows(plan, [run_entry("only", metrics={"recall_at_10": 0.5})])
    assert row.needed is None and not row.short
    assert "at least two" in row.to_text()
