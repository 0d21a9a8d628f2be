"""Confirmatory or exploratory: only runs on the approved content, after approval, count."""

from __future__ import annotations

import pytest
from fixtures.plans import plan_text
from fixtures.run_entries import run_entry

from researchflow.documents.plan import Approval, Deviation
from researchflow.documents.plan_rules import read_plan
from researchflow.verdicts.evidence import classify, parse_time, primary_run

APPROVED_AT = "2026-11-23T10:00:00Z"
APPROVED = "sha256:approved"
GOOD_COMMIT = "a" * 40
EDITED_COMMIT = "b" * 40
DIGESTS = {GOOD_COMMIT: APPROVED, EDITED_COMMIT: "sha256:edited"}


def plan(*, approval: bool = True, deviation_at: str | None = None):
    base = read_plan(plan_text(), "plan.qmd").plan
    assert base is not None
    from researchflow.base.frozen import replace

    deviations = (
        (Deviation(deviation_at, "carol", "window moved", "sha256:edited"),) if deviation_at else ()
    )
    return replace(
        base,
        approval=Approval("dave", APPROVED_AT, APPROVED) if approval else None,
        deviations=deviations,
    )


CASES = [
    # name, run changes, plan changes, kind, reason fragment
    ("clean run after approval", {}, {}, "confirmatory", ""),
    ("same second as the approval", {"started": APPROVED_AT}, {}, "confirmatory", ""),
    (
        "before approval",
        {"started": "2026-11-23T09:59:59Z"},
        {},
        "exploratory",
        "before the approval",
    ),
    ("plan not approved", {}, {"approval": False}, "exploratory", "not approved"),
    ("linked as exploratory", {"exploratory": True}, {}, "exploratory", "--exploratory"),
    ("failed run", {"status": "FAILED"}, {}, "exploratory", "ended FAILED"),
    ("killed run", {"status": "KILLED"}, {}, "exploratory", "ended KILLED"),
    ("dirty run", {"dirty": True}, {}, "exploratory", "dirty"),
    ("edited content at its commit", {"commit": EDITED_COMMIT}, {}, "exploratory", "differs"),
    ("plan unreadable at commit", {"commit": "c" * 40}, {}, "exploratory", "cannot be read"),
    (
        "after a deviation",
        {"started": "2026-11-25T00:00:00Z"},
        {"deviation_at": "2026-11-24T00:00:00Z"},
        "exploratory",
        "after the deviation",
    ),
    (
        "before a later deviation",
        {"started": "2026-11-23T12:00:00Z"},
        {"deviation_at": "2026-11-24T00:00:00Z"},
        "confirmatory",
        "",
    ),
    ("other time zone", {"started": "2026-11-23T11:30:00+02:00"}, {}, "exploratory", "before"),
]


@pytest.mark.parametrize(
    ("run_changes", "plan_changes", "kind", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_classification(run_changes: dict, plan_changes: dict, kind: str, reason: str) -> None:
    run = run_entry("r1", commit=run_changes.pop("commit", GOOD_COMMIT), **run_changes)
    [classified] = classify(plan(**plan_changes), [run], DIGESTS)
    assert classified.kind == kind
    assert reason in classified.reason
    if kind == "confirmatory":
        assert classified.reason == ""


def test_primary_run_is_the_latest_confirmatory_run() -> None:
    runs = [
        run_entry("early", commit=GOOD_COMMIT, started="2026-11-23T11:00:00Z"),
        run_entry("latest", commit=GOOD_COMMIT, started="2026-11-23T15:00:00Z"),
        run_entry("failed", commit=GOOD_COMMIT, started="2026-11-23T16:00:00Z", status="FAILED"),
        run_entry("dirty", commit=GOOD_COMMIT, started="2026-11-23T17:00:00Z", dirty=True),
    ]
    classified = classify(plan(), runs, DIGESTS)
    assert [c.run_id for c in classified] == ["early", "latest", "failed", "dirty"]
    assert primary_run(classified) == "latest"


def test_no_confirmatory_run_means_no_primary_run() -> None:
    runs = [run_entry("before", commit=GOOD_COMMIT, started="2026-11-22T00:00:00Z")]
    assert primary_run(classify(plan(), runs, DIGESTS)) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00+00:00"),
        ("2026-11-23T12:00:00+02:00", "2026-11-23T10:00:00+00:00"),
        ("2026-11-23 10:00:00", "2026-11-23T10:00:00+00:00"),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_times_are_read_as_utc(value, expected) -> None:
    parsed = parse_time(value)
    assert (parsed.isoformat() if parsed else None) == expected
