"""The weekly digest: what moved, what is stuck, cycle time and throughput, as Markdown (pure).

Dates come from what the plans record: the approval (`approval.at`), the lifecycle events
(`start`, `hold`, `resume`, `conclude`, `abandon`) and, for `reported`, the commit that
added the report (gathered by the command). Cycle time is approval → concluded, in days.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from researchflow.base.frozen import field, frozen
from researchflow.process.phases import days_in_phases
from researchflow.verdicts.evidence import parse_time

DIGEST_MARKER = "<!-- rflow:digest -->"
MIN_WEEKS = 4  # throughput is shown over at least this many weeks


@frozen
class Timeline:
    """One hypothesis as the digest sees it."""

    id: str
    title: str
    status: str
    executor: str | None
    outcome: str | None = None
    decision: str | None = None
    approved: dt.datetime | None = None
    started: dt.datetime | None = None
    reported: dt.datetime | None = None
    concluded: dt.datetime | None = None
    overrun_days: int | None = None
    hold_reason: str | None = None
    phase_days: tuple[tuple[str, int], ...] = ()  # (phase, days spent in it), in order entered

    @property
    def cycle_days(self) -> float | None:
        if self.approved is None or self.concluded is None:
            return None
        return round((self.concluded - self.approved).total_seconds() / 86400, 1)


def timeline(
    *,
    id: str,
    title: str,
    status: str,
    executor: str | None,
    approval_at: Any,
    lifecycle: Iterable[Any],
    outcome: str | None = None,
    decision: str | None = None,
    reported: Any = None,
    overrun_days: int | None = None,
    today: dt.date | None = None,
) -> Timeline:
    """A Timeline from plan fields; `lifecycle` holds LifecycleEvent-like objects."""
    events = list(lifecycle)
    started = _first(events, "start")
    concluded = _last(events, "conclude")
    hold_reason = None
    if status == "hold":
        holds = [e for e in events if e.event == "hold"]
        hold_reason = holds[-1].reason if holds else None
    return Timeline(
        id=id,
        title=title,
        status=status,
        executor=executor,
        outcome=outcome,
        decision=decision,
        approved=parse_time(approval_at),
        started=parse_time(started.at) if started else None,
        reported=parse_time(reported),
        concluded=parse_time(concluded.at) if concluded else None,
        overrun_days=overrun_days,
        hold_reason=hold_reason,
        phase_days=tuple(days_in_phases(events, today or dt.date.today()).items()),
    )


def _first(events: list[Any], name: str) -> Any:
    return next((e for e in events if e.event == name), None)


def _last(events: list[Any], name: str) -> Any:
    found = [e for e in events if e.event == name]
    return found[-1] if found else None


@frozen
class Digest:
    since: dt.datetime
    until: dt.datetime
    approved: tuple[Timeline, ...]
    started: tuple[Timeline, ...]
    reported: tuple[Timeline, ...]
    concluded: tuple[Timeline, ...]
    overdue: tuple[Timeline, ...]
    held: tuple[Timeline, ...]
    cycle_days: tuple[tuple[str, float], ...]  # (ID, days) of those concluded in the window
    median_cycle_days: float | None
    throughput: tuple[tuple[str, int], ...]  # (ISO week "2026-W48", concluded that week)
    phase_days: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()  # ID → its phases
    links: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        def ids(items: tuple[Timeline, ...]) -> list[str]:
            return [item.id for item in items]

        return {
            "since": _stamp(self.since),
            "until": _stamp(self.until),
            "approved": ids(self.approved),
            "started": ids(self.started),
            "reported": ids(self.reported),
            "concluded": [
                {
                    "id": t.id,
                    "outcome": t.outcome,
                    "decision": t.decision,
                    "cycle_days": t.cycle_days,
                }
                for t in self.concluded
            ],
            "overdue": [{"id": t.id, "overrun_days": t.overrun_days} for t in self.overdue],
            "held": [{"id": t.id, "reason": t.hold_reason} for t in self.held],
            "cycle_days": dict(self.cycle_days),
            "median_cycle_days": self.median_cycle_days,
            "throughput": dict(self.throughput),
            "phase_days": {hid: dict(days) for hid, days in self.phase_days},
        }


def build_digest(timelines: Iterable[Timeline], since: dt.datetime, until: dt.datetime) -> Digest:
    """What happened in [since, until), and where the work stands at `until`."""
    items = sorted(timelines, key=lambda t: _id_number(t.id))

    def within(moment: dt.datetime | None) -> bool:
        return moment is not None and since <= moment < until

    concluded = tuple(t for t in items if within(t.concluded))
    cycles = tuple((t.id, t.cycle_days) for t in concluded if t.cycle_days is not None)
    median = statistics.median(days for _, days in cycles) if cycles else None
    return Digest(
        since=since,
        until=until,
        approved=tuple(t for t in items if within(t.approved)),
        started=tuple(t for t in items if within(t.started)),
        reported=tuple(t for t in items if within(t.reported)),
        concluded=concluded,
        overdue=tuple(t for t in items if t.status == "running" and t.overrun_days),
        held=tuple(t for t in items if t.status == "hold"),
        cycle_days=tuple((i, float(d)) for i, d in cycles),
        median_cycle_days=round(float(median), 1) if median is not None else None,
        throughput=tuple(_throughput(items, since, until)),
        phase_days=tuple((t.id, t.phase_days) for t in items if t.phase_days),
    )


def _throughput(
    items: list[Timeline], since: dt.datetime, until: dt.datetime
) -> list[tuple[str, int]]:
    """Hypotheses concluded per ISO week, oldest week first, at least MIN_WEEKS weeks."""
    last = (until - dt.timedelta(microseconds=1)).date()
    first = min(since.date(), last - dt.timedelta(weeks=MIN_WEEKS - 1))
    weeks: dict[str, int] = {}
    day = first - dt.timedelta(days=first.weekday())
    while day <= last:
        weeks[_week(day)] = 0
        day += dt.timedelta(weeks=1)
    for item in items:
        if item.concluded is not None:
            key = _week(item.concluded.date())
            if key in weeks and item.concluded < until:
                weeks[key] += 1
    return list(weeks.items())


def _week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def render_markdown(digest: Digest, *, project: str) -> str:
    """The digest for the weekly meeting; stable text for the same inputs."""
    since, until = digest.since.date().isoformat(), digest.until.date().isoformat()
    lines = [DIGEST_MARKER, f"# Research digest: {project}", "", f"{since} to {until}", ""]

    def section(title: str, items: tuple[Timeline, ...], detail: Any) -> None:
        lines.append(f"## {title} ({len(items)})")
        lines.append("")
        if items:
            lines.extend(f"- **{t.id}** {_text(t.title)}{detail(t)}" for t in items)
        else:
            lines.append("- none")
        lines.append("")

    def who(t: Timeline) -> str:
        return f" ({_text(t.executor)})" if t.executor else ""

    section("Approved", digest.approved, who)
    section("Started", digest.started, who)
    section("Reported", digest.reported, who)
    section(
        "Concluded",
        digest.concluded,
        lambda t: "".join(
            [
                f": {t.outcome}" if t.outcome else "",
                f", decision **{t.decision}**" if t.decision else "",
                f", cycle time {_days(t.cycle_days)}" if t.cycle_days is not None else "",
            ]
        ),
    )
    section(
        "Overdue", digest.overdue, lambda t: f": {_days(t.overrun_days)} past its timebox{who(t)}"
    )
    section("On hold", digest.held, lambda t: f": {_text(t.hold_reason)}" if t.hold_reason else "")
    lines.append("## Cycle time (approval to concluded)")
    lines.append("")
    if digest.cycle_days:
        lines.append(f"Median: **{_days(digest.median_cycle_days)}**")
        lines.append("")
        lines.append("| Hypothesis | Days |")
        lines.append("|---|---:|")
        lines.extend(f"| {hid} | {days:g} |" for hid, days in digest.cycle_days)
    else:
        lines.append("No hypothesis was concluded in this period.")
    lines.append("")
    lines.append("## Throughput (concluded per week)")
    lines.append("")
    lines.append("| Week | Concluded |")
    lines.append("|---|---:|")
    lines.extend(f"| {week} | {count} |" for week, count in digest.throughput)
    lines.append("")
    lines.append("## Time per phase")
    lines.append("")
    if digest.phase_days:
        lines.append("| Hypothesis | Days per phase |")
        lines.append("|---|---|")
        lines.extend(
            f"| {hid} | " + ", ".join(f"{_text(name)} {_days(days)}" for name, days in spans) + " |"
            for hid, spans in digest.phase_days
        )
    else:
        lines.append("No hypothesis has entered a phase yet (`rflow phase ID NAME`).")
    lines.append("")
    return "\n".join(lines)


def parse_since(text: str, until: dt.datetime) -> dt.datetime:
    """`7d`, `2w` or a date (YYYY-MM-DD) → the start of the window."""
    value = text.strip().lower()
    if value[:-1].isdigit() and value[-1:] in ("d", "w") and int(value[:-1]) > 0:
        days = int(value[:-1]) * (7 if value.endswith("w") else 1)
        return until - dt.timedelta(days=days)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a period (e.g. 7d, 2w) or a date (YYYY-MM-DD)") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _days(value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:g} day" if value == 1 else f"{value:g} days"


def _text(value: str | None) -> str:
    """User text on one line, with Markdown's active characters escaped."""
    from researchflow.base.safetext import markdown_text

    return markdown_text(" ".join((value or "").split()))


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id_number(hypothesis_id: str) -> int:
    try:
        return int(hypothesis_id.split("-", 1)[1])
    except (IndexError, ValueError):
        return 1 << 62
