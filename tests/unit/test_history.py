"""The pure replay of a plan's history (verdicts/history.py): what each commit may do."""

from __future__ import annotations

import datetime as dt

from researchflow.base.frozen import replace
from researchflow.documents.plan import Approval, Deviation, Plan, Prediction, Rice, Roles
from researchflow.verdicts.history import IdentityRules, PlanCommit, replay

T0 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def plan(**changes) -> Plan:
    base = Plan(
        id="H-001",
        title="t",
        status="review",
        created=dt.date(2026, 1, 5),
        roles=Roles("alice", "bob", "carol", ("dave",)),
        rice=Rice(3, 3, 3, 3),
        hypothesis="h",
        predictions=(Prediction("score", 1.0, "increase", 0.5, 0.1),),
    )
    return replace(base, **changes)


def commit(n: int, the_plan: Plan, digest: str, author: str = "alice", **kw) -> PlanCommit:
    return PlanCommit(
        sha=f"{n:02d}" + "a" * 38,
        author_name=author,
        author_email=f"{author}@example.com",
        committed=T0 + dt.timedelta(hours=n),
        plan=the_plan,
        digest=digest,
        **kw,
    )


def at(hours: float) -> str:
    return (T0 + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


APPROVAL = Approval("dave", at(0.5), "d1")


def messages(result) -> list[str]:
    return [f"{f.field}: {f.message}" for f in result.findings]


def test_an_honest_history_has_no_findings_and_finds_each_introducing_commit() -> None:
    deviation = Deviation(at(1.5), "alice", "why", "d2")
    history = [
        commit(0, plan(), "d1"),
        commit(1, plan(approval=APPROVAL, status="approved"), "d1", author="dave"),
        commit(2, plan(approval=APPROVAL, deviations=(deviation,)), "d2"),
    ]
    result = replay(history)
    assert messages(result) == []
    assert [(r.kind, r.commit.sha[:2]) for r in result.records] == [
        ("approval", "01"),
        ("deviation", "02"),
    ]
    assert [r.kind for r in result.points()] == ["approval"]


def test_an_approval_committed_by_someone_else_is_refused() -> None:
    result = replay([commit(0, plan(), "d1"), commit(1, plan(approval=APPROVAL), "d1")])
    assert messages(result) == [
        "approval.by: approval (commit 01aaaaaaaaaa) says by: dave, but the commit was "
        "authored by alice <alice@example.com>"
    ]


def test_people_maps_names_to_emails() -> None:
    history = [commit(0, plan(), "d1"), commit(1, plan(approval=APPROVAL), "d1", author="dave")]
    assert messages(replay(history, IdentityRules({"dave": ("dave@example.com",)}))) == []
    refused = replay(history, IdentityRules({"dave": ("dave@corp.example",)}))
    assert [f.field for f in refused.findings] == ["approval.by"]


def test_an_edited_approval_and_content_changed_without_a_deviation_are_found() -> None:
    edited = Approval("dave", APPROVAL.at, "d9")
    history = [
        commit(0, plan(), "d1"),
        commit(1, plan(approval=APPROVAL), "d1", author="dave"),
        commit(2, plan(approval=edited), "d9"),
    ]
    assert [f.field for f in replay(history).findings] == ["approval", "deviations"]


def test_a_removed_deviation_is_found() -> None:
    deviation = Deviation(at(1.5), "alice", "why", "d2")
    history = [
        commit(0, plan(), "d1"),
        commit(1, plan(approval=APPROVAL), "d1", author="dave"),
        commit(2, plan(approval=APPROVAL, deviations=(deviation,)), "d2"),
        commit(3, plan(approval=APPROVAL), "d2"),
    ]
    assert [f.field for f in replay(history).findings] == ["deviations"]


def test_commits_on_the_target_branch_are_trusted_as_they_are() -> None:
    history = [
        commit(0, plan(), "d1", trusted=True),
        commit(1, plan(approval=APPROVAL), "d1", trusted=True),  # authored by alice
    ]
    result = replay(history)
    assert messages(result) == [] and result.approval is not None


def test_an_at_later_than_its_commit_is_found() -> None:
    late = Approval("dave", at(5), "d1")
    history = [commit(0, plan(), "d1"), commit(1, plan(approval=late), "d1", author="dave")]
    assert [f.field for f in replay(history).findings] == ["approval.at"]


def test_a_reapproval_is_appended_by_a_reviewer_and_becomes_a_point() -> None:
    deviation = Deviation(at(1.5), "alice", "why", "d2")
    again = Approval("dave", at(2.5), "d2")
    history = [
        commit(0, plan(), "d1"),
        commit(1, plan(approval=APPROVAL), "d1", author="dave"),
        commit(2, plan(approval=APPROVAL, deviations=(deviation,)), "d2"),
        commit(
            3,
            plan(approval=APPROVAL, deviations=(deviation,), reapprovals=(again,)),
            "d2",
            author="dave",
        ),
    ]
    result = replay(history)
    assert messages(result) == []
    assert [r.field for r in result.points()] == ["approval", "reapprovals[0]"]
    assert [r.kind for r in result.deviations_after(result.points()[0])] == ["deviation"]
    assert result.deviations_after(result.points()[1]) == ()
