"""The weekly digest from known dates: cycle times, median, throughput, overdue and held."""

from __future__ import annotations

import datetime as dt

import pytest

from researchflow.documents.plan import LifecycleEvent
from researchflow.views.digest import build_digest, parse_since, render_markdown, timeline

UNTIL = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)  # a Wednesday


def _events(*items: tuple[str, str]) -> tuple[LifecycleEvent, ...]:
    return tuple(LifecycleEvent(event=e, at=at, by="carol") for e, at in items)


def _history():
    return [
        timeline(  # approved 10 days before it concluded this week
            id="H-001",
            title="Graded target",
            status="concluded",
            executor="carol",
            approval_at="2026-11-20T10:00:00Z",
            lifecycle=_events(
                ("start", "2026-11-21T09:00:00Z"), ("conclude", "2026-11-30T10:00:00Z")
            ),
            outcome="confirmed",
            decision="ship",
        ),
        timeline(  # concluded this week too, 4 days after approval
            id="H-002",
            title="Price feature",
            status="concluded",
            executor="erin",
            approval_at="2026-11-27T12:00:00Z",
            lifecycle=_events(
                ("start", "2026-11-28T09:00:00Z"), ("conclude", "2026-12-01T12:00:00Z")
            ),
            outcome="refuted",
            decision="stop",
        ),
        timeline(  # concluded three weeks ago: in the throughput, not in this week's list
            id="H-003",
            title="Old one",
            status="concluded",
            executor="carol",
            approval_at="2026-11-01T00:00:00Z",
            lifecycle=_events(("conclude", "2026-11-09T00:00:00Z")),
            outcome="inconclusive",
            decision="iterate",
        ),
        timeline(
            id="H-004",
            title="Running late",
            status="running",
            executor="erin",
            approval_at="2026-11-28T00:00:00Z",
            lifecycle=_events(("start", "2026-11-29T00:00:00Z")),
            overrun_days=2,
        ),
        timeline(
            id="H-005",
            title="Paused",
            status="hold",
            executor="carol",
            approval_at="2026-11-10T00:00:00Z",
            lifecycle=_events(("start", "2026-11-11T00:00:00Z"), ("hold", "2026-11-30T00:00:00Z")),
            reported=None,
        ),
        timeline(
            id="H-006",
            title="Reported",
            status="reported",
            executor="erin",
            approval_at="2026-11-02T00:00:00Z",
            lifecycle=(),
            reported="2026-11-29T15:00:00Z",
        ),
    ]


def test_cycle_times_median_and_throughput_from_known_dates() -> None:
    digest = build_digest(_history(), parse_since("7d", UNTIL), UNTIL)
    assert digest.cycle_days == (("H-001", 10.0), ("H-002", 4.0))
    assert digest.median_cycle_days == 7.0
    assert [t.id for t in digest.concluded] == ["H-001", "H-002"]
    assert [t.id for t in digest.approved] == ["H-002", "H-004"]
    assert [t.id for t in digest.started] == ["H-002", "H-004"]
    assert [t.id for t in digest.reported] == ["H-006"]
    assert [t.id for t in digest.overdue] == ["H-004"]
    assert [t.id for t in digest.held] == ["H-005"]
    # four weeks at least, Monday-based ISO weeks; Nov 30 and Dec 1 2026 are in W49
    assert dict(digest.throughput) == {"2026-W46": 1, "2026-W47": 0, "2026-W48": 0, "2026-W49": 2}


def test_markdown_names_outcomes_decisions_and_cycle_times() -> None:
    digest = build_digest(_history(), parse_since("7d", UNTIL), UNTIL)
    text = render_markdown(digest, project="churn")
    assert "## Concluded (2)" in text
    assert "- **H-001** Graded target: confirmed, decision **ship**, cycle time 10 days" in text
    assert "Median: **7 days**" in text
    assert "| H-002 | 4 |" in text
    assert "- **H-004** Running late: 2 days past its timebox (erin)" in text
    assert "| 2026-W49 | 2 |" in text


@pytest.mark.parametrize(("text", "days"), [("7d", 7), ("2w", 14), ("1d", 1)])
def test_since_periods(text: str, days: int) -> None:
    assert UNTIL - parse_since(text, UNTIL) == dt.timedelta(days=days)


@pytest.mark.parametrize("text", ["0d", "seven", "7x", ""])
def test_since_rejects_what_is_not_a_period(text: str) -> None:
    with pytest.raises(ValueError):
        parse_since(text, UNTIL)
