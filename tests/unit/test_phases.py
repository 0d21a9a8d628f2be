"""The lifecycle phase a hypothesis is in and the days it spent in each (pure)."""

from __future__ import annotations

import datetime as dt

from researchflow.documents.plan import LifecycleEvent
from researchflow.process.phases import current_phase, days_in_phases


def _event(event: str, day: str, phase: str | None = None) -> LifecycleEvent:
    return LifecycleEvent(event=event, at=f"{day}T09:00:00Z", by="carol", phase=phase)


def test_no_phase_before_the_first_phase_event() -> None:
    events = [_event("start", "2026-11-02")]
    assert current_phase(events) is None
    assert days_in_phases(events, dt.date(2026, 11, 30)) == {}


def test_days_run_from_each_phase_to_the_next_and_the_last_to_today() -> None:
    events = [
        _event("phase", "2026-11-02", "research"),
        _event("start", "2026-11-03"),
        _event("phase", "2026-11-05", "modelling"),
        _event("hold", "2026-11-06"),
        _event("phase", "2026-11-09", "research"),  # back to research: the days add up
    ]
    assert current_phase(events) == "research"
    assert days_in_phases(events, dt.date(2026, 11, 11)) == {"research": 5, "modelling": 4}


def test_a_concluded_hypothesis_stops_the_clock_of_its_last_phase() -> None:
    events = [
        _event("phase", "2026-11-02", "results-analysis"),
        _event("conclude", "2026-11-04"),
    ]
    assert days_in_phases(events, dt.date(2026, 12, 30)) == {"results-analysis": 2}
