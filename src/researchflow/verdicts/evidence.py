"""Which runs count as evidence: confirmatory or exploratory, and the primary run (pure).

A run is confirmatory when it was made after the approval, before any deviation, on
registered content equal to what was approved, finished, and from a clean working tree.
Every other run is exploratory, with the reason; only confirmatory runs can confirm.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from researchflow.base import TYPE_CHECKING
from researchflow.base.frozen import frozen, replace
from researchflow.base.names import COMMAND, COMMIT, DIRTY
from researchflow.documents.plan import Plan

if TYPE_CHECKING:
    from typing import Any

    from researchflow.documents.runlog import RunEntry

CONFIRMATORY = "confirmatory"
EXPLORATORY = "exploratory"
BASELINE_ARM = "baseline"  # runs.yaml `arm` of a baseline_command repeat


@frozen
class Classified:
    run: RunEntry
    kind: str  # confirmatory | exploratory
    reason: str  # why exploratory; "" for confirmatory
    approval: str = ""  # the approval a confirmatory run rests on: approval | reapprovals[N]

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def confirmatory(self) -> bool:
        return self.kind == CONFIRMATORY


@frozen
class Point:
    """Where confirmatory evidence may start: the commit that introduced the approval, a
    re-approval or the last deviation, with the registered content and command there."""

    label: str  # "the approval", "re-approval 1"
    field: str  # "approval", "reapprovals[0]"
    commit: str
    committed_ms: int  # the commit's date, ms since the epoch
    digest: str
    command: tuple[str, ...]
    descendants: frozenset[str]  # commits that contain this one (itself included)
    baseline: tuple[str, ...] = ()  # the registered evaluation.baseline_command
    deviated: frozenset[str] = frozenset()  # commits containing a deviation made after it


@frozen
class Facts:
    """What the gate believes instead of runs.yaml: git history and the store."""

    points: tuple[Point, ...]
    store: Mapping[str, Any]  # run id → StoreRun (status, times, tags, metric times)
    history_failure: str | None = None


def classify(
    plan: Plan,
    runs: Iterable[RunEntry],
    digest_at_commit: Mapping[str, str | None],
    facts: Facts | None = None,
) -> list[Classified]:
    """Each run with its kind, oldest first (ties by run ID).

    digest_at_commit: commit sha → the plan's registered digest at that commit (None when
    the plan cannot be read there). With `facts` (the gate, and `rflow report`), a run is
    judged by git ancestry and the store's record, not by the times runs.yaml copies.
    """
    ordered = sorted(runs, key=lambda run: (_sort_time(run.started), run.run_id))
    if facts is not None:
        return [_judge_by_facts(plan, run, digest_at_commit, facts) for run in ordered]
    return [_classify_one(plan, run, digest_at_commit) for run in ordered]


def store_commit(run: RunEntry, facts: Facts) -> str:
    stored = facts.store.get(run.run_id)
    if stored is not None and stored.tags.get(COMMIT):
        return str(stored.tags[COMMIT])
    return run.commit


def late_metrics(plan: Plan, stored: Any) -> list[str]:
    """Predicted metrics whose value was logged after the run ended: an edit, not a result."""
    if stored is None or stored.end_time_ms is None:
        return []
    times = getattr(stored, "metric_times", {}) or {}
    return [
        p.metric
        for p in plan.predictions
        if p.metric in times and times[p.metric] > stored.end_time_ms
    ]


def _judge_by_facts(
    plan: Plan, run: RunEntry, digest_at_commit: Mapping[str, str | None], facts: Facts
) -> Classified:
    import shlex

    def exploratory(reason: str) -> Classified:
        return Classified(run, EXPLORATORY, reason)

    if getattr(run, "exploratory", False):
        return exploratory("declared exploratory")
    stored = facts.store.get(run.run_id)
    if stored is None:
        return exploratory("the store does not hold it")
    if stored.status != "FINISHED":
        return exploratory(f"ended {stored.status}")
    if str(stored.tags.get(DIRTY, "false")).lower() == "true":
        return exploratory("made on a dirty working tree (--allow-dirty)")
    if plan.approval is None:
        return exploratory("the plan is not approved")
    if facts.history_failure is not None or not facts.points:
        return exploratory("the plan's approval is not in its git history")
    commit = store_commit(run, facts)
    registered = digest_at_commit.get(commit)
    if registered is None:
        return exploratory(f"the plan cannot be read at commit {commit[:12]}")
    late = late_metrics(plan, stored)
    if late:
        return exploratory(f"{', '.join(late)} logged after the run ended")
    start = stored.start_time_ms
    reasons = []
    for point in facts.points:
        if commit not in point.descendants:
            reasons.append(f"its commit {commit[:12]} does not contain {point.label}")
        elif commit in point.deviated:
            reasons.append(
                f"its commit {commit[:12]} comes after a deviation that is not re-approved yet"
            )
        elif registered != point.digest:
            what = "what was approved" if point.label == "the approval" else point.label
            reasons.append(f"registered content at commit {commit[:12]} differs from {what}")
        elif start is None or start < point.committed_ms:
            reasons.append(f"the store says it started before {point.label} was committed")
        else:
            ran = shlex.split(str(stored.tags.get(COMMAND, "")))
            # a baseline repeat runs the registered baseline_command under the same seed
            wanted = point.baseline if getattr(run, "arm", None) == "baseline" else point.command
            if tuple(ran) != wanted:
                shown = shlex.join(wanted) if wanted else "none"
                reasons.append(f"it ran `{shlex.join(ran)}`, not the registered command `{shown}`")
                continue
            return Classified(run, CONFIRMATORY, "", point.field)
    return exploratory(reasons[-1] if len(reasons) == 1 else _best(reasons))


def _best(reasons: list[str]) -> str:
    """The most telling reason: the one that got furthest (command > time > content)."""
    markers = ("not the registered command", "started before", "not re-approved", "differs from")
    for marker in markers:
        for reason in reasons:
            if marker in reason:
                return reason
    return reasons[0]


def as_registered(tip: Plan, registered: Plan | None) -> Plan:
    """The tip plan judged by what was registered at the primary run's own commit: its
    predictions (a deviation made later moves no verdict), evaluation, data and command."""
    if registered is None:
        return tip
    return replace(
        tip,
        predictions=registered.predictions,
        evaluation=registered.evaluation,
        data=registered.data,
        command=registered.command,
    )


def primary_run(classified: Sequence[Classified]) -> str | None:
    """The latest confirmatory run: the one the report's verdicts rest on (with the rest of
    its group of repeats, when it has one). A baseline_command repeat is never primary."""
    confirmatory = [c for c in classified if c.confirmatory and c.run.arm != BASELINE_ARM]
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


def parse_day(value: Any) -> dt.date | None:
    """The day of a date, a datetime or an ISO-8601 text (its first ten characters)."""
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


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


@frozen
class Experiment:
    """One confirmatory experiment: a group of repeats (or one run), with its baseline arm."""

    group: str | None  # the parent run of the repeats; None for a single run
    runs: tuple[RunEntry, ...]  # the treatment repeats that count, by repeat index
    baseline: tuple[RunEntry, ...] = ()  # the baseline_command repeats (arm: baseline)
    # why a registered seed does not count ("seed 3 ended FAILED"): the experiment is then
    # incomplete, never a smaller sample, and backs no verdict
    gaps: tuple[str, ...] = ()

    @property
    def run_ids(self) -> tuple[str, ...]:
        return tuple(run.run_id for run in (*self.runs, *self.baseline))


def primary_experiment(
    classified: Sequence[Classified],
    primary: str | None,
    repeats: int | None = None,
    facts: Facts | None = None,
) -> Experiment | None:
    """The experiment the primary run belongs to: its confirmatory group, or itself alone.

    With `repeats` (the registered count), a group is the seeds 0..repeats-1: each must be
    a confirmatory, untouched run, else the experiment is incomplete (`gaps`) and holds no
    runs, so no verdict rests on the seeds that happened to be kept."""
    if primary is None:
        return None
    item = next((c for c in classified if c.run_id == primary), None)
    if item is None:
        return None
    group = item.run.group
    if group is None:
        return Experiment(None, (item.run,))
    members = [c for c in classified if c.run.group == group]
    if repeats is not None:
        gaps = seed_gaps(members, repeats, facts)
        if gaps:
            return Experiment(group, (), (), tuple(gaps))
        members = [c for c in members if c.run.repeat is not None and c.run.repeat < repeats]
    runs = [c.run for c in members if c.confirmatory]
    by_repeat = sorted(
        runs, key=lambda run: (run.repeat if run.repeat is not None else -1, run.run_id)
    )
    return Experiment(
        group,
        tuple(run for run in by_repeat if run.arm is None),
        tuple(run for run in by_repeat if run.arm == BASELINE_ARM),
    )


def seed_gaps(members: Sequence[Classified], repeats: int, facts: Facts | None) -> list[str]:
    """Each registered seed that does not count, with why: missing, not confirmatory, or
    ended later in the store than rflow recorded (its status was changed afterwards)."""
    gaps = []
    arms = sorted({c.run.arm for c in members}, key=lambda arm: arm or "")
    for arm in arms:
        label = "baseline seed" if arm == BASELINE_ARM else "seed"
        for seed in range(repeats):
            found = [c for c in members if c.run.arm == arm and c.run.repeat == seed]
            if not found:
                gaps.append(f"{label} {seed} is missing")
                continue
            for c in found:
                why = c.reason if not c.confirmatory else _changed_after_end(c.run, facts)
                if why:
                    gaps.append(f"{label} {seed} (run {c.run_id}) {why}")
    return gaps


def _changed_after_end(run: RunEntry, facts: Facts | None) -> str:
    """The store's end time later than the `ended` rflow wrote: ended again afterwards."""
    stored = facts.store.get(run.run_id) if facts is not None else None
    recorded = parse_time(getattr(run, "ended", ""))
    if stored is None or stored.end_time_ms is None or recorded is None:
        return ""
    if stored.end_time_ms - recorded.timestamp() * 1000 >= 1000:
        return "was ended again in the store after rflow recorded its end"
    return ""


def experiment_key(run: RunEntry) -> str:
    """What makes one experiment: its group of repeats, else the run itself."""
    return run.group or run.run_id


def experiment_runs(classified: Sequence[Classified]) -> dict[str, str]:
    """Each confirmatory experiment (its key) → its latest treatment run, oldest first."""
    latest: dict[str, Classified] = {}
    for item in classified:  # oldest first: the last one seen is the latest
        if item.confirmatory and item.run.arm != BASELINE_ARM:
            latest[experiment_key(item.run)] = item
    ordered = sorted(latest.items(), key=lambda kv: (_sort_time(kv[1].run.started), kv[0]))
    return {key: item.run_id for key, item in ordered}


def experiments_made(classified: Sequence[Classified]) -> int:
    """Confirmatory experiments: each group of repeats once, each ungrouped run once."""
    seen: set[str] = set()
    for item in classified:
        if item.confirmatory and item.run.arm is None:
            seen.add(item.run.group or item.run_id)
    return len(seen)
