"""Plan schema validation: every problem located, named and with a fix."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from fixtures.plans import GOOD_BODY, GOOD_FRONT_MATTER, plan_text
from hypothesis import given
from hypothesis import strategies as st

from researchflow.documents.config import SectionsConfig
from researchflow.documents.document import YamlFile
from researchflow.documents.plan import Rice, rank_key
from researchflow.documents.plan_rules import read_plan
from researchflow.documents.plan_schema import PLAN_FIELDS
from researchflow.documents.schema import Reader

PATH = "research/H-007-graded-target/plan.qmd"


def problems_of(text: str, path: str = PATH) -> list[str]:
    return [str(p) for p in read_plan(text, path, SectionsConfig()).problems]


def with_front_matter(old: str, new: str) -> str:
    assert old in GOOD_FRONT_MATTER
    return plan_text(front_matter=GOOD_FRONT_MATTER.replace(old, new))


def test_a_complete_plan_is_valid_and_modelled() -> None:
    result = read_plan(plan_text(), PATH, SectionsConfig())
    assert result.problems == ()
    plan = result.plan
    assert plan is not None
    assert plan.id == "H-007"
    assert plan.score == 3 * 3 * 2 * 3
    assert plan.predictions[0].metric == "recall_at_10"
    assert plan.predictions[0].tolerance == 0.005
    assert plan.roles.reviewers == ("dave",)
    assert plan.data == ("data/responses.csv",)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("id: {id}", "id: H-7", ":3: id: 'H-7' is not a hypothesis ID"),
        ("status: review", "status: done", ":4: status: 'done' is not allowed (use one of: draft"),
        ("effort: 3}", "effort: 7}", ": rice.effort: 7 is out of range (use a whole number 1..5)"),
        ("reach: 3,", "reach: 0,", ": rice.reach: 0 is out of range"),
        ("reach: 3,", "reach: true,", ": rice.reach: True is out of range"),
        ("direction: increase", "direction: up", ": predictions[0].direction: 'up' is not allowed"),
        ("baseline: 0.42", "baseline: high", ": predictions[0].baseline: 'high' is not a number"),
        ("tolerance: 0.005", "tolerance: -1", ": predictions[0].tolerance: -1 is negative"),
        ("    min_effect: 0.02\n", "", ": predictions[0].min_effect: missing (add a number)"),
        ("created: 2026-11-22", "created: someday", ": created: 'someday' is not a date"),
        ("data: [data/responses.csv]", "data: [../secret]", ": data[0]: '../secret' leaves"),
        ("timebox_days: 5", "timebox_days: 0", ": timebox_days: 0 is not a positive whole number"),
        ("executor: carol", "executor: alice", ": roles.executor: the executor is also the author"),
        ("reviewers: [dave]", "reviewers: []", ": roles.reviewers: no reviewer named"),
        ("reviewers: [dave]", "reviewers: [alice]", ": roles.reviewers: the author cannot review"),
        ("outcome: null", "outcome: confirmed", ": outcome: set while status is 'review'"),
        ("status: review", "status: approved", ": status: 'approved' without an approval"),
    ],
)
def test_schema_problems_name_line_field_and_fix(old: str, new: str, expected: str) -> None:
    problems = problems_of(with_front_matter(old, new))
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(PATH + ":") and p.endswith(")") for p in problems), problems


def test_executor_may_be_the_author_when_the_plan_says_why() -> None:
    text = with_front_matter("executor: carol,", "executor: alice, reason: solo project,")
    assert problems_of(text) == []


def test_missing_fields_are_each_reported() -> None:
    problems = problems_of("---\ntitle: only a title\n---\n")
    fields = {p.split(": ")[1] for p in problems}
    assert {"id", "status", "created", "roles", "rice", "hypothesis", "predictions"} <= fields


def test_folder_and_id_must_agree() -> None:
    problems = problems_of(plan_text("H-008"), PATH)
    assert any("id: H-008 does not match its folder H-007-graded-target" in p for p in problems)


def test_sections_must_be_present_and_written_beyond_draft() -> None:
    body = GOOD_BODY.replace('## Risks\n\nLabel noise in "opened" may dilute the effect.\n', "")
    body = body.replace("Bootstrap confidence interval over customers, 1,000 resamples.", "TODO: x")
    body = body.replace(
        "Churn campaigns target customers by predicted response; recall@10 drives revenue.", ""
    )
    text = plan_text(body=body)
    lines = text.split("\n")
    todo_line = lines.index("TODO: x") + 1
    context_line = lines.index("## Context") + 1
    problems = problems_of(text)
    assert any("## Risks: required section is missing (add '## Risks')" in p for p in problems)
    assert (
        f"{PATH}:{todo_line}: ### Statistical evaluation: still holds template placeholder "
        "text (TODO) (replace the TODO text with your own)"
    ) in problems
    assert f"{PATH}:{context_line}: ## Context: section is empty (write the section)" in problems


def test_a_draft_may_still_hold_template_text() -> None:
    text = with_front_matter("status: review", "status: draft")
    assert problems_of(text.replace("A graded target", "TODO: a graded target")) == []


def test_missing_design_step_is_reported() -> None:
    body = GOOD_BODY.replace("### Modelling\n", "### Something else\n")
    problems = problems_of(plan_text(body=body))
    assert any("### Modelling: design step is missing" in p for p in problems)


def test_sections_and_steps_are_configurable() -> None:
    sections = SectionsConfig(required=("Context", "Risks"), design="Nothing", design_steps=())
    body = "\n## Context\n\nSome.\n\n## Risks\n\nFew.\n"
    assert read_plan(plan_text(body=body), PATH, sections).problems == ()


@pytest.mark.parametrize(
    ("factors", "score"), [((1, 1, 1, 1), 1), ((5, 5, 5, 5), 625), ((3, 3, 2, 3), 54)]
)
def test_rice_score_is_the_product(factors: tuple[int, int, int, int], score: int) -> None:
    assert Rice(*factors).score == score


def test_ranking_breaks_ties_by_lower_id() -> None:
    plans = []
    for hypothesis_id in ("H-012", "H-003", "H-1000"):
        folder = f"research/{hypothesis_id}-x/plan.qmd"
        plans.append(read_plan(plan_text(hypothesis_id), folder, SectionsConfig()).plan)
    ordered = [p.id for p in sorted(plans, key=rank_key)]
    assert ordered == ["H-003", "H-012", "H-1000"]


DATA = next(field for field in PLAN_FIELDS if field.key == "data")
PATH_LIKE = st.one_of(
    st.text(alphabet="ab./\\ ", max_size=12),
    st.sampled_from(["data/x.csv", "./data/x.csv", "data//x", "a/./b", "a/", ".", "//x", "a/.."]),
    st.integers(),
)


@given(st.lists(PATH_LIKE, max_size=4))
def test_data_paths_are_what_purepath_makes_of_them(items: list[object]) -> None:
    """Paths already in normal form skip PurePosixPath; every path still reads as it does."""
    expected: list[str] = []
    refused: list[str] = []
    for index, item in enumerate(items):
        posix = PurePosixPath(item.replace("\\", "/")) if isinstance(item, str) else None
        if posix is None or not str(item).strip() or posix.is_absolute() or ".." in posix.parts:
            refused.append(f"data[{index}]")
        else:
            expected.append(str(posix))
    reader = Reader(YamlFile({"data": items}, ""), PATH)
    assert reader.read((DATA,)) == {"data": tuple(expected)}
    assert [problem.field for problem in reader.problems] == refused
