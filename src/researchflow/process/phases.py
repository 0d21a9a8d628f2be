"""The lifecycle stage a hypothesis is in, and the time it spent in each (pure).

A team works in phases (by default research → data exploration → modelling →
productization → A/B test → results analysis, each with its deliverable; `phases:` in
researchflow.yaml changes them). `rflow phase ID NAME` appends `{event: phase, phase, at,
by}` to the plan's `lifecycle:`: the last such entry is the current phase, and the gaps
between them are the time spent in each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from researchflow.base import TYPE_CHECKING
from researchflow.verdicts.evidence import parse_day

if TYPE_CHECKING:
    from typing import Any


def current_phase(lifecycle: Iterable[Any]) -> str | None:
    """The phase of the last `phase` event, None before the first."""
    found = None
    for event in lifecycle:
        if event.event == "phase" and event.phase:
            found = str(event.phase)
    return found


def days_in_phases(lifecycle: Iterable[Any], until: dt.date) -> dict[str, int]:
    """Phase → whole days spent in it: from each `phase` event to the next one, to the
    conclusion or abandonment, or to `until` for the phase still under way."""
    spans: dict[str, int] = {}
    current: tuple[str, dt.date] | None = None
    for event in lifecycle:
        day = parse_day(event.at)
        if day is None:
            continue
        if current is not None and event.event in ("phase", "conclude", "abandon"):
            name, since = current
            spans[name] = spans.get(name, 0) + max(0, (day - since).days)
            current = None
        if event.event == "phase" and event.phase:
            current = (str(event.phase), day)
    if current is not None:
        name, since = current
        spans[name] = spans.get(name, 0) + max(0, (until - since).days)
    return spans
