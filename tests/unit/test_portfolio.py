"""The portfolio core: rows, age, timebox overrun, warnings and ranking (pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures.hypothesis_branches import Hyp

from researchflow.documents.config import SectionsConfig
from researchflow.views.portfolio import (
    PlanSource,
    Reading,
    build_portfolio,
    ranked,
    read_summary,
)
from researchflow.views.runs_count import count_runs

TODAY = dt.date(2026, 11, 20)
SECTIONS = SectionsConfig()


def source(
    hyp: Hyp, *, branch: str | None = None, merged: bool = False, oid: str = ""
) -> PlanSource:
    files = hyp.files()
    runs = files.get(f"research/{hyp.folder}/runs.yaml")
    return PlanSource(
        folder=hyp.folder,
        path=f"research/{hyp.folder}/plan.qmd",
        plan=hyp.plan_text().encode(),
        runs=runs.encode() if runs is not None else None,
        branch=branch or ("main" if merged else f"hyp/{hyp.folder}"),
        merged=merged,
        plan_oid=oid,
    )


def portfolio(*hyps: Hyp, known=None):
    return build_portfolio([source(h) for h in hyps], SECTIONS, TODAY, known)


def test_row_carries_the_plan_fields_the_team_lead_needs() -> None:
    hyp = Hyp(
        7,
        status="review",
        executor="carol",
        rice=(3, 3, 2, 3),
        created=dt.date(2026, 11, 1),
        runs=2,
    )
    (row,) = portfolio(hyp).rows
    data = row.to_json()
    assert data["id"] == "H-007"
    assert data["title"] == "Graded target improves recall"
    assert data["status"] == "review"
    assert data["executor"] == "carol"
    assert data["rice"] == {"reach": 3, "impact": 3, "confidence": 2, "effort": 3, "score": 54}
    assert data["age_days"] == 19
    assert data["runs"] == 2
    assert data["overrun_days"] is None
    assert data["broken"] is False


def test_timebox_overrun_counts_from_approval() -> None:
    hyp = Hyp(
        3,
        status="running",
        created=dt.date(2026, 10, 1),
        approved=dt.date(2026, 11, 10),
        timebox_days=5,
    )
    (row,) = portfolio(hyp).rows
    assert row.age_days == 50
    assert row.overrun_days == 5  # 10 days since approval, 5-day timebox


def test_work_within_its_timebox_is_not_over() -> None:
    hyp = Hyp(3, status="approved", created=TODAY - dt.timedelta(days=2), timebox_days=5)
    (row,) = portfolio(hyp).rows
    assert row.overrun_days == 0
    assert portfolio(hyp).warnings == ()


@pytest.mark.parametrize("status", ["draft", "review", "reported", "concluded", "abandoned"])
def test_only_approved_and_running_work_has_a_timebox_overrun(status: str) -> None:
    outcome = "confirmed" if status in ("reported", "concluded") else None
    hyp = Hyp(1, status=status, outcome=outcome, created=dt.date(2025, 1, 1), timebox_days=5)
    (row,) = portfolio(hyp).rows
    assert row.overrun_days is None


def test_two_running_hypotheses_for_one_executor_warn() -> None:
    result = portfolio(
        Hyp(1, status="running", executor="carol", created=TODAY),
        Hyp(2, status="running", executor="carol", created=TODAY),
        Hyp(3, status="running", executor="dave", created=TODAY),
    )
    (warning,) = result.warnings
    assert warning.kind == "wip"
    assert warning.ids == ("H-001", "H-002")
    assert "carol is running 2 hypotheses" in warning.message


def test_running_past_the_timebox_warns_but_approved_does_not() -> None:
    old = dt.date(2026, 1, 1)
    result = portfolio(
        Hyp(1, status="running", executor="carol", created=old, timebox_days=5),
        Hyp(2, status="approved", executor="dave", created=old, timebox_days=5),
    )
    assert [(w.kind, w.ids) for w in result.warnings] == [("timebox", ("H-001",))]
    assert "past its 5-day timebox" in result.warnings[0].message
    assert result.rows[1].overrun_days > 0


def test_an_id_used_twice_warns() -> None:
    first = source(Hyp(4, slug="a"))
    second = source(Hyp(4, slug="b"))
    result = build_portfolio([first, second], SECTIONS, TODAY)
    assert [w.kind for w in result.warnings] == ["duplicate"]
    assert "hyp/H-004-a" in result.warnings[0].message


def test_broken_plan_is_a_broken_row_with_its_first_problem() -> None:
    hyp = Hyp(11, slug="half", raw_plan='---\ntitle: "unclosed\nid: H-011\n---\n')
    (row,) = portfolio(hyp).rows
    assert row.broken
    assert row.id == "H-011"  # from the folder name
    assert row.status == "broken"
    assert row.problem.startswith("research/H-011-half/plan.qmd:")
    assert "invalid YAML" in row.problem


def test_plan_missing_its_required_fields_is_broken() -> None:
    hyp = Hyp(12, raw_plan="---\nid: H-012\nstatus: draft\n---\n")
    (row,) = portfolio(hyp).rows
    assert row.broken
    assert row.problem_count > 1


def test_branch_without_a_plan_is_broken_with_a_fix() -> None:
    missing = PlanSource("H-009-x", "research/H-009-x/plan.qmd", None, branch="hyp/H-009-x")
    reading = read_summary(missing, SECTIONS)
    assert reading.summary is None
    assert "not found (commit the plan" in reading.problem


def test_branch_named_without_an_id_says_how_to_rename_it() -> None:
    missing = PlanSource("tidy-up", "research/tidy-up/plan.qmd", None, branch="hyp/tidy-up")
    assert "does not start with a hypothesis ID" in read_summary(missing, SECTIONS).problem


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        (None, 0),
        (b"", 0),
        (b"hypothesis: H-001\nruns: []\n", 0),
        (b"runs:\n  - {run_id: a}\n  - {run_id: b}\n", 2),
        (b"hypothesis: H-001\n", 0),
        (b"runs: {a: 1}\n", None),
        (b"- just a list\n", None),
        (b"runs: [unclosed\n", None),
        (b"runs: !!python/object:os.system x\n", None),
        # read from the parser's events, or by the full reader: the same counts
        (b"hypothesis: H-001\nmeta: {a: [1]}\nruns:\n- run_id: a\n  m: {x: [1, 2]}\n- b\n", 2),
        (b"runs: ~\n", 0),
        (b"runs: ''\n", 0),
        (b"runs:\n- &first {run_id: a}\n- *first\n", 2),
        (b"runs: [a]\nruns: [a, b]\n", 2),  # the last wins, as in every YAML reader
        (b"runs: [a]\n---\nruns: [b]\n", None),
        (b"\xef\xbb\xbfruns: [a]\n", 1),
        (b"\xff\xfer\x00u\x00n\x00s\x00:\x00 \x00[\x00a\x00]\x00\n\x00", None),
    ],
)
def test_runs_are_counted_from_runs_yaml(raw: bytes | None, count: int | None) -> None:
    assert count_runs(raw) == count


def test_rank_orders_the_backlog_by_rice_then_by_lower_id() -> None:
    result = portfolio(
        Hyp(5, status="draft", rice=(2, 2, 2, 2)),  # 16
        Hyp(3, status="review", rice=(4, 4, 4, 4)),  # 256
        Hyp(9, status="approved", rice=(2, 2, 2, 2)),  # 16, tie: after H-005
        Hyp(1, status="running", rice=(5, 5, 5, 5)),  # not backlog
        Hyp(2, status="concluded", outcome="refuted", rice=(5, 5, 5, 5)),
    )
    assert [row.id for row in ranked(result.rows)] == ["H-003", "H-005", "H-009"]
    assert [row.id for row in ranked(result.rows, None)][:2] == ["H-001", "H-002"]


def test_rows_are_sorted_by_id_number() -> None:
    result = portfolio(Hyp(1000), Hyp(20), Hyp(3))
    assert [row.id for row in result.rows] == ["H-003", "H-020", "H-1000"]


def test_research_log_lists_concluded_hypotheses_newest_first() -> None:
    result = portfolio(
        Hyp(1, status="concluded", outcome="confirmed", conclusion="Works."),
        Hyp(2, status="concluded", outcome="refuted", conclusion="Does not."),
        Hyp(3, status="running"),
    )
    assert [(row.id, row.plan.outcome) for row in result.concluded()] == [
        ("H-002", "refuted"),
        ("H-001", "confirmed"),
    ]
    assert result.concluded()[0].plan.conclusion == "Does not."


def test_a_remembered_reading_is_used_instead_of_parsing_again() -> None:
    hyp = Hyp(7)
    first = build_portfolio([source(hyp, oid="abc")], SECTIONS, TODAY)
    key = "plan:research/H-007-graded-target/plan.qmd:abc"
    assert key in first.memo
    remembered = Reading.from_dict(first.memo[key])
    assert remembered == read_summary(source(hyp), SECTIONS)
    # the same blob id with a different remembered title proves nothing was re-parsed
    altered = dict(first.memo)
    altered[key] = {**altered[key], "summary": {**altered[key]["summary"], "title": "From memo"}}
    again = build_portfolio([source(hyp, oid="abc")], SECTIONS, TODAY, altered)
    assert again.rows[0].title == "From memo"


def test_a_corrupt_memo_entry_is_ignored() -> None:
    hyp = Hyp(7)
    key = "plan:research/H-007-graded-target/plan.qmd:abc"
    result = build_portfolio([source(hyp, oid="abc")], SECTIONS, TODAY, {key: {"nonsense": 1}})
    assert result.rows[0].title == "Graded target improves recall"


def test_a_remembered_entry_of_an_older_shape_is_parsed_again() -> None:
    hyp = Hyp(7, rice=(1, 2, 3, 4))
    key = "plan:research/H-007-graded-target/plan.qmd:abc"
    first = build_portfolio([source(hyp, oid="abc")], SECTIONS, TODAY)
    old = dict(first.memo[key])
    old["summary"] = {**old["summary"], "rice": {"reach": 1, "impact": 2}}
    result = build_portfolio([source(hyp, oid="abc")], SECTIONS, TODAY, {key: old})
    assert result.rows[0].score == 24
    assert result.memo[key] == first.memo[key]
