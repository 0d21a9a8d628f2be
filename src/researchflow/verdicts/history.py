"""The plan's registration replayed from git history (pure).

Files on a branch are claims; the history of the plan is the evidence. Given the plan as it
was at each commit that touched it (oldest first), `replay` finds the commit that introduced
the approval, every deviation and every re-approval, and reports each way the history breaks
the rules a reviewer relies on:

- the approval is introduced once and never edited or removed afterwards;
- deviations and re-approvals are only appended;
- registered content changes only in a commit that also appends a deviation, whose digest
  is the content that commit made; the first approved state's digest matches its content;
- each record's `at` lies between the previous plan commit and the commit that introduced it;
- each record was introduced by a commit its `by:` person authored (config `people:` maps a
  name to git e-mails; without it the git author name must be the name), and an approver is
  one of the plan's reviewers and not its author.

Commits on the target branch (before the merge-base) are trusted as they are: only what the
merge request adds is judged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from researchflow.base.frozen import field, frozen
from researchflow.documents.plan import Approval, Deviation, Plan, Prediction

SKEW = dt.timedelta(minutes=10)  # clocks of laptops and CI runners disagree a little

APPROVAL = "approval"
DEVIATION = "deviation"
REAPPROVAL = "reapproval"


@frozen
class PlanCommit:
    """One commit that touched the plan, with the plan as it was there."""

    sha: str
    author_name: str
    author_email: str
    committed: dt.datetime  # the committer date, aware UTC
    plan: Plan | None  # None: the plan is absent or cannot be read at this commit
    digest: str | None  # the registered digest of the content at this commit
    trusted: bool = False  # on the target branch already (at or before the merge-base)


@frozen
class Record:
    """An approval, deviation or re-approval and the commit that introduced it."""

    kind: str
    index: int  # position in its list (0 for the approval)
    by: str
    at: str
    digest: str
    commit: PlanCommit

    @property
    def field(self) -> str:
        if self.kind == APPROVAL:
            return "approval"
        return f"{self.kind}s[{self.index}]"


@frozen
class Finding:
    """A broken rule: the plan field it concerns, what is wrong, and the fix."""

    field: str
    message: str
    fix: str


@frozen
class Replay:
    records: tuple[Record, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def approval(self) -> Record | None:
        return next((r for r in self.records if r.kind == APPROVAL), None)

    def of_kind(self, kind: str) -> tuple[Record, ...]:
        return tuple(r for r in self.records if r.kind == kind)

    def points(self) -> tuple[Record, ...]:
        """Where confirmatory evidence may start: the approval and each re-approval (a
        deviation needs a re-approval before runs after it count again)."""
        return tuple(r for r in self.records if r.kind in (APPROVAL, REAPPROVAL))

    def deviations_after(self, point: Record) -> tuple[Record, ...]:
        """The deviations recorded after `point` (in history order)."""
        later = self.records[self.records.index(point) + 1 :]
        return tuple(r for r in later if r.kind == DEVIATION)


@frozen
class IdentityRules:
    people: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # name → e-mails


def short(sha: str) -> str:
    return sha[:12]


def same_person(name: str, commit: PlanCommit, rules: IdentityRules) -> bool:
    """Whether `name` authored `commit`: by e-mail through `people:`, else by author name."""
    emails = _people(rules).get(_fold(name))
    if emails is not None:
        return commit.author_email.strip().casefold() in emails
    return _fold(commit.author_name) == _fold(name)


def replay(commits: Sequence[PlanCommit], rules: IdentityRules | None = None) -> Replay:
    """Replay the plan's history (oldest first) and judge what the untrusted commits did."""
    rules = rules or IdentityRules()
    state = _State(rules)
    for commit in commits:
        if commit.plan is None:
            continue  # an unreadable plan at one commit is the plan level's business at HEAD
        state.step(commit)
    return Replay(tuple(state.records), tuple(state.findings))


class _State:
    def __init__(self, rules: IdentityRules) -> None:
        self.rules = rules
        self.records: list[Record] = []
        self.findings: list[Finding] = []
        self.previous: PlanCommit | None = None
        self.approval_removed = False

    def add(self, field_name: str, message: str, fix: str) -> None:
        self.findings.append(Finding(field_name, message, fix))

    def step(self, commit: PlanCommit) -> None:
        plan = commit.plan
        assert plan is not None
        before = self.previous.plan if self.previous is not None else None
        introduced: list[Record] = []
        introduced += self._approval(before, plan, commit)
        introduced += self._appended(
            DEVIATION,
            before.deviations if before else (),
            plan.deviations,
            commit,
        )
        introduced += self._appended(
            REAPPROVAL,
            before.reapprovals if before else (),
            plan.reapprovals,
            commit,
        )
        if not commit.trusted:
            self._content(before, plan, commit, introduced)
            for record in introduced:
                self._judge(record, plan)
        self.records.extend(introduced)
        self.previous = commit

    def _approval(self, before: Plan | None, plan: Plan, commit: PlanCommit) -> list[Record]:
        old = before.approval if before is not None else None
        new = plan.approval
        if old is not None and new != old:
            if not commit.trusted:
                what = "removed" if new is None else "edited"
                self.add(
                    "approval",
                    f"the approval was {what} in commit {short(commit.sha)}",
                    "restore it as it was approved; only `rflow approve` writes it, once",
                )
            self.approval_removed = new is None
            return []
        if old is None and new is not None:
            if self.approval_removed or any(r.kind == APPROVAL for r in self.records):
                if not commit.trusted:
                    self.add(
                        "approval",
                        f"a second approval was introduced in commit {short(commit.sha)}",
                        "an approval is given once; after a deviation a reviewer runs "
                        "`rflow approve` again, which appends to reapprovals",
                    )
                return []
            return [Record(APPROVAL, 0, new.by, new.at, new.digest, commit)]
        return []

    def _appended(
        self,
        kind: str,
        old: tuple[Deviation, ...] | tuple[Approval, ...],
        new: tuple[Deviation, ...] | tuple[Approval, ...],
        commit: PlanCommit,
    ) -> list[Record]:
        entries: tuple[Deviation | Approval, ...] = tuple(new)
        if tuple(new[: len(old)]) != tuple(old):
            if not commit.trusted:
                self.add(
                    f"{kind}s",
                    f"recorded {kind}s were edited or removed in commit {short(commit.sha)}",
                    f"restore them as they were; {kind}s are only appended "
                    f"(`rflow {'deviate' if kind == DEVIATION else 'approve'}`)",
                )
            # what is there now counts from here on; nothing before it is re-introduced
            known = len([r for r in self.records if r.kind == kind])
            return [
                Record(kind, index, item.by, item.at, item.digest, commit)
                for index, item in enumerate(entries)
                if index >= known
            ]
        return [
            Record(kind, index, item.by, item.at, item.digest, commit)
            for index, item in enumerate(entries)
            if index >= len(old)
        ]

    def _content(
        self, before: Plan | None, plan: Plan, commit: PlanCommit, introduced: list[Record]
    ) -> None:
        approved_before = before is not None and before.approval is not None
        previous_digest = self.previous.digest if self.previous is not None else None
        deviations = [r for r in introduced if r.kind == DEVIATION]
        approval = next((r for r in introduced if r.kind == APPROVAL), None)
        if approval is not None and approval.digest != commit.digest:
            self.add(
                "approval.digest",
                f"the approval introduced in commit {short(commit.sha)} names digest "
                f"{approval.digest[:19]}…, but the content it approved has "
                f"{(commit.digest or 'none')[:19]}…",
                "have the reviewer run `rflow approve` on the plan as it is",
            )
        if approved_before and commit.digest != previous_digest and not deviations:
            self.add(
                "deviations",
                f"registered content changed in commit {short(commit.sha)} without a "
                "recorded deviation",
                "revert the change, or record it with `rflow deviate` in the same commit",
            )
        if approved_before and before is not None:
            for finding in loosened(before, plan, f"commit {short(commit.sha)}"):
                self.findings.append(finding)
        for record in deviations:
            if approved_before and record.digest != commit.digest and record is deviations[-1]:
                self.add(
                    record.field + ".digest",
                    f"the deviation introduced in commit {short(commit.sha)} does not match "
                    "the content that commit made",
                    "record deviations with `rflow deviate` after editing the plan",
                )

    def _judge(self, record: Record, plan: Plan) -> None:
        commit = record.commit
        where = f"{record.field} (commit {short(commit.sha)})"
        if not same_person(record.by, commit, self.rules):
            self.add(
                record.field + ".by",
                f"{where} says by: {record.by}, but the commit was authored by "
                f"{commit.author_name} <{commit.author_email}>",
                f"{record.by} records it and commits it as themselves"
                + ("" if self.rules.people else " (or map names to e-mails in `people:`)"),
            )
        if record.kind in (APPROVAL, REAPPROVAL):
            if _fold(record.by) == _fold(plan.roles.author):
                self.add(
                    record.field + ".by",
                    f"{where} was given by the author ({record.by})",
                    "a reviewer who is not roles.author runs `rflow approve`",
                )
            elif _fold(record.by) not in {_fold(name) for name in plan.roles.reviewers}:
                self.add(
                    record.field + ".by",
                    f"{where} was given by {record.by}, who is not in roles.reviewers",
                    "one of roles.reviewers runs `rflow approve`",
                )
        self._time(record)

    def _time(self, record: Record) -> None:
        from researchflow.verdicts.evidence import parse_time

        at = parse_time(record.at)
        commit = record.commit
        where = f"{record.field} (commit {short(commit.sha)})"
        if at is None:
            self.add(
                record.field + ".at",
                f"{where}: `at` {record.at!r} is not a time",
                "let rflow write it",
            )
            return
        if at > commit.committed + SKEW:
            self.add(
                record.field + ".at",
                f"{where} says at {record.at}, after its commit was made "
                f"({_iso(commit.committed)})",
                "do not edit `at` by hand; record it again with rflow",
            )
        earlier = self.previous.committed if self.previous is not None else None
        if earlier is not None and at < earlier - SKEW:
            self.add(
                record.field + ".at",
                f"{where} says at {record.at}, before the plan it is part of existed "
                f"({_iso(earlier)})",
                "do not edit `at` by hand; record it again with rflow",
            )


KEEP_FIX = (
    "a registered prediction stays: a deviation may only add or tighten one, or mark it "
    "`withdrawn: true`"
)


def loosened(before: Plan, after: Plan, where: str) -> list[Finding]:
    """Predictions an approved plan lost or loosened between two commits: removed, direction
    changed, min_effect or baseline moved the easy way, tolerance widened."""
    findings = []
    now = {p.metric: (index, p) for index, p in enumerate(after.predictions)}
    for old in before.predictions:
        if old.metric not in now:
            findings.append(
                Finding(
                    "predictions",
                    f"{where} removes the registered prediction on {old.metric}",
                    KEEP_FIX,
                )
            )
            continue
        index, new = now[old.metric]
        eased = _eased(old, new)
        if eased:
            findings.append(
                Finding(
                    f"predictions[{index}]",
                    f"{where} loosens the registered prediction on {old.metric}: "
                    + ", ".join(eased),
                    KEEP_FIX,
                )
            )
    return findings


def _eased(old: Prediction, new: Prediction) -> list[str]:
    """What makes `new` easier to confirm or to reproduce than `old`."""
    eased = []
    if new.direction != old.direction:
        eased.append(f"direction {old.direction} → {new.direction}")
    elif old.direction == "no_change":
        if new.min_effect > old.min_effect:
            eased.append(f"min_effect {old.min_effect:g} → {new.min_effect:g}")
        if new.baseline != old.baseline:
            eased.append(f"baseline {old.baseline:g} → {new.baseline:g}")
    else:
        if new.min_effect < old.min_effect:
            eased.append(f"min_effect {old.min_effect:g} → {new.min_effect:g}")
        easier = new.baseline < old.baseline
        if old.direction == "decrease":
            easier = new.baseline > old.baseline
        if easier:
            eased.append(f"baseline {old.baseline:g} → {new.baseline:g}")
    if new.tolerance > old.tolerance:
        eased.append(f"tolerance {old.tolerance:g} → {new.tolerance:g}")
    return eased


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _people(rules: IdentityRules) -> dict[str, set[str]]:
    return {
        _fold(name): {email.strip().casefold() for email in emails}
        for name, emails in rules.people.items()
    }


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
