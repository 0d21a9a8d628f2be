"""The registration digest: formatting does not change it, content does."""

from __future__ import annotations

import pytest
from fixtures.plans import GOOD_BODY, GOOD_FRONT_MATTER, plan_text

from researchflow.documents.config import SectionsConfig
from researchflow.documents.document import parse_document
from researchflow.documents.plan_rules import read_plan
from researchflow.documents.registration import (
    CHANGED_MESSAGE,
    digest,
    effective_digest,
    registration_problems,
)

SECTIONS = SectionsConfig()
TWO_PREDICTIONS = GOOD_FRONT_MATTER.replace(
    "data: [data/responses.csv]",
    "  - {{metric: latency_ms, baseline: 30, direction: no_change, min_effect: 2, tolerance: 1}}\n"
    "data: [data/responses.csv, data/customers.csv]",
)


def digest_of(text: str) -> str:
    return digest(parse_document(text), SECTIONS)


BASE = plan_text(front_matter=TWO_PREDICTIONS)

SAME_CONTENT = {
    "hypothesis re-wrapped": BASE.replace(
        'hypothesis: "Training on a graded target raises recall@10 on next-week responses."',
        "hypothesis: >-\n  Training on a graded target   raises recall@10\n"
        "  on next-week responses.",
    ),
    "prediction keys reordered": BASE.replace(
        "  - metric: recall_at_10\n    baseline: 0.42\n",
        "  - baseline: 0.42\n    metric: recall_at_10\n",
    ),
    "flow style and integer baseline": BASE.replace(
        "baseline: 30, direction", "baseline: 30.0, direction"
    ).replace(
        "  - metric: recall_at_10\n    baseline: 0.42\n    direction: increase\n"
        "    min_effect: 0.02\n    tolerance: 0.005\n",
        "  - {metric: recall_at_10, baseline: 0.420, direction: increase, min_effect: 0.02, "
        "tolerance: 0.005}\n",
    ),
    "data paths reordered": BASE.replace(
        "[data/responses.csv, data/customers.csv]", "[data/customers.csv, data/responses.csv]"
    ),
    "design reflowed": BASE.replace(
        "Same split and model family as the baseline; only the target changes.",
        "Same split and model family\nas the baseline;   only the target changes.\n\n",
    ),
    "comment added in design": BASE.replace(
        "### Modelling\n", "### Modelling\n<!-- reviewer: fine by me -->\n"
    ),
    "status, roles and risks edited": BASE.replace("status: review", "status: approved")
    .replace("reviewers: [dave]", "reviewers: [dave, erin]")
    .replace("Label noise", "Label drift"),
}

CHANGED_CONTENT = {
    "baseline changed": BASE.replace("baseline: 0.42", "baseline: 0.40"),
    "min_effect changed": BASE.replace("min_effect: 0.02", "min_effect: 0.01"),
    "direction changed": BASE.replace("direction: increase", "direction: decrease"),
    "metric renamed": BASE.replace("metric: recall_at_10", "metric: recall_at_20"),
    "prediction removed": BASE.replace(
        "  - {metric: latency_ms, baseline: 30, direction: no_change, min_effect: 2, "
        "tolerance: 1}\n",
        "",
    ),
    "data path changed": BASE.replace("data/customers.csv", "data/customers-v2.csv"),
    "hypothesis reworded": BASE.replace("raises recall@10", "raises recall@20"),
    "design text changed": BASE.replace("only the target changes", "the target and model change"),
    "design step text changed": BASE.replace("1,000 resamples", "100 resamples"),
}


@pytest.mark.parametrize("case", sorted(SAME_CONTENT))
def test_formatting_does_not_change_the_digest(case: str) -> None:
    assert SAME_CONTENT[case] != BASE, "the test case must actually edit the plan"
    assert digest_of(SAME_CONTENT[case]) == digest_of(BASE)


@pytest.mark.parametrize("case", sorted(CHANGED_CONTENT))
def test_changed_registered_content_changes_the_digest(case: str) -> None:
    assert CHANGED_CONTENT[case] != BASE, "the test case must actually edit the plan"
    assert digest_of(CHANGED_CONTENT[case]) != digest_of(BASE)


EVALUATION_LINE = "evaluation: {repeats: 1}  # one deterministic run is the registered design\n"


def test_digest_is_stable_across_versions() -> None:
    # Written down once: an approved plan's digest must never change under a new rflow.
    # If this fails, every approval in every repository would stop matching.
    expected = "sha256:94e5a1c12a87b0590cf20e4cf150ae4c88687355dbc518a123f6fa1d36003569"
    # (the plan as it was then: before the fixture registered `evaluation:` and named
    # its baseline's source)
    source_line = "    baseline_source: production dashboard, week 2026-45\n"
    assert EVALUATION_LINE in BASE and source_line in BASE
    then = BASE.replace(EVALUATION_LINE, "").replace(source_line, "")
    assert digest_of(then) == expected


def test_design_section_name_comes_from_the_config() -> None:
    renamed = SectionsConfig(design="Method")
    body = GOOD_BODY.replace("## Experiment design", "## Method")
    one = plan_text(body=body)
    two = plan_text(body=body.replace("only the target changes", "everything changes"))
    assert digest(parse_document(one), renamed) != digest(parse_document(two), renamed)


def approved(text: str, *, by: str = "dave", deviations: str = "[]") -> str:
    value = digest_of(text)
    return (
        text.replace("status: review", "status: approved")
        .replace(
            "approval: null",
            f"approval: {{by: {by}, at: '2026-11-23T10:00:00Z', digest: '{value}'}}",
        )
        .replace("deviations: []", f"deviations: {deviations}")
    )


def problems_of(text: str) -> list:
    result = read_plan(text, "research/H-007-graded-target/plan.qmd", SECTIONS)
    assert result.plan is not None, result.problems
    return registration_problems(
        result.plan, result.document, "research/H-007-graded-target/plan.qmd", SECTIONS
    )


def test_unchanged_approved_plan_has_no_registration_problem() -> None:
    assert problems_of(approved(BASE)) == []


def test_prediction_changed_after_approval_is_a_problem_on_the_digest() -> None:
    edited = approved(BASE).replace("min_effect: 0.02", "min_effect: 0.01")
    problems = problems_of(edited)
    assert [(p.field, p.message) for p in problems] == [("approval.digest", CHANGED_MESSAGE)]
    assert "rflow deviate" in problems[0].fix


def test_change_recorded_by_a_deviation_is_accepted() -> None:
    edited_text = BASE.replace("min_effect: 0.02", "min_effect: 0.01")
    new_digest = digest_of(edited_text)
    deviation = (
        f"[{{at: '2026-11-24T09:00:00Z', by: carol, reason: smaller, digest: '{new_digest}'}}]"
    )
    original = approved(BASE)
    text = original.replace("min_effect: 0.02", "min_effect: 0.01").replace(
        "deviations: []", f"deviations: {deviation}"
    )
    assert problems_of(text) == []
    plan = read_plan(text, "plan.qmd", SECTIONS).plan
    assert effective_digest(plan) == new_digest


def test_approval_by_the_author_is_a_problem() -> None:
    problems = problems_of(approved(BASE, by="alice"))
    assert [p.field for p in problems] == ["approval.by"]


def test_unapproved_plan_has_no_registration_problem() -> None:
    assert problems_of(BASE.replace("min_effect: 0.02", "min_effect: 0.01")) == []


def plan_of(text: str):
    result = read_plan(text, "plan.qmd", SECTIONS)
    assert result.plan is not None, result.problems
    return result.plan, result.document


A_DEVIATION = "[{at: '2026-11-24T00:00:00Z', by: c, reason: r, digest: d}]"
HISTORY = {
    "unchanged": (lambda t: t, []),
    "deviation appended": (
        lambda t: t.replace(
            "deviations: []",
            "deviations: [{at: '2026-11-24T00:00:00Z', by: c, reason: r, digest: d}]",
        ),
        [],
    ),
    "approval digest forged": (
        lambda t: t.replace("digest: 'sha256:", "digest: 'sha256:0"),
        ["approval"],
    ),
    "approval removed": (
        lambda t: t.replace("status: approved", "status: review").replace(
            t[t.index("approval: {") : t.index("}", t.index("approval: {")) + 1], "approval: null"
        ),
        ["approval"],
    ),
}


@pytest.mark.parametrize("case", sorted(HISTORY))
def test_approval_and_deviations_are_append_only(case: str) -> None:
    from researchflow.documents.registration import history_problems

    edit, fields = HISTORY[case]
    before_text = approved(BASE)
    after_text = edit(before_text)
    before, _ = plan_of(before_text)
    after, document = plan_of(after_text)
    problems = history_problems(before, after, document, "plan.qmd")
    assert [p.field for p in problems] == fields


def test_removed_deviation_is_a_problem() -> None:
    from researchflow.documents.registration import history_problems

    before, _ = plan_of(approved(BASE, deviations=A_DEVIATION))
    after, document = plan_of(approved(BASE))
    assert [p.field for p in history_problems(before, after, document, "p")] == ["deviations"]
