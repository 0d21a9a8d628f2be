"""Which runs count as evidence: confirmatory or exploratory, and the primary run (pure).

A run is confirmatory when it was made after the approval, before any deviation, on
registered content equal to what was approved, finished, and from a clean working tree.
Every other run is exploratory, with the reason; only confirmatory runs can confirm.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from researchflow.plan import Plan

if TYPE_CHECKING:
    from researchflow.runlog import RunEntry

CONFIRMATORY = "confirmatory"
EXPLORATORY = "exploratory"


@dataclass(frozen=True)
class Classified:
    run: RunEntry
    kind: str  # confirmatory | exploratory
    reason: str  # why exploratory; "" for confirmatory

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def confirmatory(self) -> bool:
        return self.kind == CONFIRMATORY


def classify(
    plan: Plan, runs: Iterable[RunEntry], digest_at_commit: Mapping[str, str | None]
) -> list[Classified]:
    """Each run with its kind, oldest first (ties by run ID).

    digest_at_commit: commit sha → the plan's registered digest at that commit (None when
    the plan cannot be read there).
    """
    ordered = sorted(runs, key=lambda run: (_sort_time(run.started), run.run_id))
    return [_classify_one(plan, run, digest_at_commit) for run in ordered]


def primary_run(classified: Sequence[Classified]) -> str | None:
    """The latest confirmatory run: the one the report's verdicts rest on."""
    confirmatory = [c for c in classified if c.confirmatory]
    if not confirmatory:
        return None
    latest = max(confirmatory, key=lambda c: (_sort_time(c.run.started), c.run.run_id))
    return latest.run_id


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO-8601 time (a trailing Z allowed) or a datetime → aware UTC; None if unreadable."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:  # rflow writes UTC; a bare time is read as UTC too
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _sort_time(value: Any) -> dt.datetime:
    return parse_time(value) or dt.datetime.min.replace(tzinfo=dt.UTC)


def _classify_one(
    plan: Plan, run: RunEntry, digest_at_commit: Mapping[str, str | None]
) -> Classified:
    def exploratory(reason: str) -> Classified:
        return Classified(run, EXPLORATORY, reason)

    if run.status != "FINISHED":
        return exploratory(f"ended {run.status}")
    if run.exploratory:
        return exploratory("linked with --exploratory: declared not to be evidence")
    if run.dirty:
        return exploratory("made on a dirty working tree (--allow-dirty)")
    if plan.approval is None:
        return exploratory("the plan is not approved")
    started = parse_time(run.started)
    approved = parse_time(plan.approval.at)
    if started is None or approved is None:
        return exploratory("its start or the approval time cannot be read")
    if started < approved:
        return exploratory(f"started before the approval ({plan.approval.at})")
    for deviation in plan.deviations:
        deviated = parse_time(deviation.at)
        if deviated is not None and deviated <= started:
            return exploratory(f"started after the deviation of {deviation.at}")
    registered = digest_at_commit.get(run.commit)
    if registered is None:
        return exploratory(f"the plan cannot be read at commit {run.commit[:12]}")
    if registered != plan.approval.digest:
        return exploratory(
            f"registered content at commit {run.commit[:12]} differs from what was approved"
        )
    return Classified(run, CONFIRMATORY, "")
