"""A run is recorded once in runs.yaml, when it ends (issue 21)."""

from __future__ import annotations

from researchflow.base.frozen import replace
from researchflow.checks.runs_history import rewrites
from researchflow.documents.runlog import RunEntry

RUN = RunEntry(
    run_id="r1",
    experiment_id="1",
    tracking_uri="sqlite:///x.db",
    commit="c" * 40,
    branch="hyp/H-001-x",
    dirty=False,
    command=("python", "train.py"),
    started="2026-01-01T00:00:00Z",
    ended="2026-01-01T00:01:00Z",
    status="FINISHED",
)


def test_a_note_or_retirement_added_later_is_no_rewrite() -> None:
    later = replace(RUN, note="a typo in the config", retired={"reason": "typo"})
    assert rewrites([("a", [RUN]), ("b", [later])]) == []


def test_a_status_and_end_changed_later_are_named_with_their_commit() -> None:
    failed = replace(RUN, status="FAILED", ended="2026-01-02T00:00:00Z")
    found = rewrites([("a", [RUN]), ("b", [failed]), ("c", [failed])])
    assert [(r.field, r.sha, r.before, r.after, r.recorded) for r in found] == [
        ("ended", "b", "2026-01-01T00:01:00Z", "2026-01-02T00:00:00Z", "a"),
        ("status", "b", "FINISHED", "FAILED", "a"),
    ]


def test_a_recorded_run_removed_later_is_named() -> None:
    [found] = rewrites([("a", [RUN]), ("b", [])])
    assert (found.run_id, found.field, found.sha, found.recorded) == ("r1", "", "b", "a")


def test_a_run_recorded_while_running_may_be_closed_once() -> None:
    running = replace(RUN, status="RUNNING", ended="")
    killed = replace(RUN, status="KILLED")
    assert rewrites([("a", [running]), ("b", [killed])]) == []
    assert [r.field for r in rewrites([("a", [running]), ("b", [killed]), ("c", [RUN])])] == [
        "status"
    ]
