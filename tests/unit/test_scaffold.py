"""Rendering a plan from the template, and the merge request's text (pure)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import researchflow
from researchflow.documents.document import parse_document
from researchflow.documents.plan_rules import read_plan
from researchflow.documents.scaffold import (
    REVIEW_CHECKLIST,
    Scaffold,
    TemplateError,
    merge_request_description,
    merge_request_title,
    parse_rice,
    render_plan,
)

TEMPLATE = (Path(researchflow.__file__).parent / "templates" / "plan.qmd").read_text("utf-8")
DAY = dt.date(2026, 11, 22)


def body(text: str) -> str:
    return text.split("\n---\n", 1)[1]


def test_rendered_plan_has_the_requested_fields_and_the_template_body() -> None:
    scaffold = Scaffold(
        "H-007",
        "Graded target improves recall",
        DAY,
        "alice",
        designer="bob",
        executor="carol",
        reviewers=("dave",),
        rice=(3, 3, 2, 3),
    )
    text = render_plan(TEMPLATE, scaffold)
    front = parse_document(text).front_matter
    assert front["title"] == "Graded target improves recall"
    assert front["id"] == "H-007"
    assert front["status"] == "draft"
    assert front["created"] == DAY
    assert front["roles"] == {
        "author": "alice",
        "designer": "bob",
        "executor": "carol",
        "reviewers": ["dave"],
    }
    assert front["rice"] == {"reach": 3, "impact": 3, "confidence": 2, "effort": 3}
    assert body(text) == body(TEMPLATE)


def test_rendered_built_in_template_is_a_valid_draft_plan() -> None:
    text = render_plan(TEMPLATE, Scaffold("H-001", "A title", DAY, "alice"))
    result = read_plan(text, "research/H-001-a-title/plan.qmd")
    assert result.problems == ()
    assert result.plan is not None and result.plan.rice.score == 81  # the template's default


@pytest.mark.parametrize(
    "title",
    [
        'Гипотеза: "$(touch pwned)"; rm -rf / #not a comment',
        "key: value & *anchor !tag",
        "back\\slash and 'single' quotes",
        "---",
    ],
)
def test_hostile_titles_survive_as_plain_text(title: str) -> None:
    text = render_plan(TEMPLATE, Scaffold("H-001", title, DAY, "O'Brien: #1"))
    front = parse_document(text).front_matter
    assert front["title"] == title
    assert front["roles"]["author"] == "O'Brien: #1"


def test_template_override_keeps_its_comments_and_extra_fields() -> None:
    override = (
        "---\n"
        "# our team's plan template\n"
        'title: "TODO"\n'
        "id: H-000\n"
        "status: draft\n"
        "created: 2020-01-01\n"
        "roles:\n"
        "  author: TODO\n"
        "  reviewers: [lead]   # the lead always reviews\n"
        "\n"
        "rice: {reach: 1, impact: 1, confidence: 1, effort: 1}\n"
        "hypothesis: TODO\n"
        "predictions:\n"
        "- metric: auc\n"
        "  baseline: 0.7\n"
        "  direction: increase\n"
        "  min_effect: 0.01\n"
        "  tolerance: 0.001\n"
        "team: ranking\n"
        "---\n\n## Context\n\nOurs.\n"
    )
    text = render_plan(override, Scaffold("H-002", "New", DAY, "alice"))
    assert "# our team's plan template\n" in text
    front = parse_document(text).front_matter
    assert front["roles"] == {"author": "alice", "reviewers": ["lead"]}
    assert front["rice"] == {"reach": 1, "impact": 1, "confidence": 1, "effort": 1}
    assert front["team"] == "ranking"
    assert front["predictions"][0]["metric"] == "auc"
    assert text.endswith("## Context\n\nOurs.\n")


def test_fields_missing_from_the_template_are_added() -> None:
    text = render_plan("---\nhypothesis: x\n---\nbody\n", Scaffold("H-003", "T", DAY, "al"))
    front = parse_document(text).front_matter
    assert (front["id"], front["title"], front["status"]) == ("H-003", "T", "draft")
    assert text.endswith("---\nbody\n")


def test_template_without_front_matter_is_refused() -> None:
    with pytest.raises(TemplateError, match="front matter"):
        render_plan("## Context\n", Scaffold("H-001", "T", DAY, "al"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3,3,2,3", (3, 3, 2, 3)), (" 1, 5 ,5,1 ", (1, 5, 5, 1))],
)
def test_rice_is_four_numbers(text: str, expected: tuple[int, ...]) -> None:
    assert parse_rice(text) == expected


@pytest.mark.parametrize("text", ["3,3,2", "3,3,2,3,3", "0,3,3,3", "6,1,1,1", "a,b,c,d", ""])
def test_rice_out_of_range_or_malformed_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rice(text)


def test_merge_request_title_is_a_draft_for_old_gitlab_too() -> None:
    assert merge_request_title("H-007", "Graded target") == "Draft: H-007 Graded target"


def test_description_summarises_and_carries_the_review_checklist() -> None:
    text = merge_request_description(
        hypothesis_id="H-007",
        title="Graded target",
        plan_path="research/H-007-graded-target/plan.qmd",
        author="alice",
        reviewers=["dave"],
        rice={"reach": 3, "impact": 3, "confidence": 2, "effort": 3},
        hypothesis="Graded targets raise recall@10.",
    )
    assert "research/H-007-graded-target/plan.qmd" in text
    assert "> Graded targets raise recall@10." in text
    assert "3 × 3 × 2 × 3 = 54" in text
    assert "Reviewers: dave" in text
    assert all(f"- [ ] {item}" in text for item in REVIEW_CHECKLIST)
    assert "rflow approve H-007" in text


def test_description_leaves_out_a_placeholder_hypothesis() -> None:
    text = merge_request_description(
        hypothesis_id="H-001",
        title="T",
        plan_path="p",
        author="a",
        hypothesis="TODO: one falsifiable sentence",
    )
    assert "TODO" not in text
