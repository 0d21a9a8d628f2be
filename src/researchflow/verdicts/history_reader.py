"""The plan's history as git holds it, read for the gate: the merge-base with the target
branch, each commit that touched the plan with the plan parsed there, and the replay.

History that cannot be read fails closed: `History.failure` says why, and the
registration level fails with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from researchflow.adapters.gitobjects import read_blobs
from researchflow.base.frozen import field, frozen
from researchflow.documents.config import Config
from researchflow.verdicts.history import IdentityRules, PlanCommit, Replay, replay

SHALLOW = (
    "the clone is shallow, so the plan's history cannot be replayed "
    "(set GIT_DEPTH: 0 in the CI job, or run `git fetch --unshallow`)"
)


@frozen
class History:
    base: str | None  # the merge-base with the target branch
    commits: tuple[PlanCommit, ...] = ()
    replay: Replay = field(default_factory=Replay)
    failure: str | None = None  # why the history could not be read (fail closed)


def merge_base(config: Config, env: Mapping[str, str]) -> str:
    """The commit the merge request starts from (raises UserError when it cannot be found)."""
    from researchflow.documents.project import merge_base as find

    return find(config, env)


def read_history(config: Config, plan_path: Path, env: Mapping[str, str]) -> History:
    """The plan's commits and their replay; `failure` says why it cannot be trusted.

    Without a merge-base every commit is judged (none is trusted) and the failure is set,
    so classification still finds the approval commit while the gate fails closed.
    """
    from researchflow.adapters import git as gitrepo
    from researchflow.adapters.process import CommandFailed
    from researchflow.base.errors import UserError

    root = config.root
    failure = SHALLOW if gitrepo.is_shallow(root) else None
    base: str | None = None
    if failure is None:
        try:
            base = merge_base(config, env)
        except UserError as error:
            reason = str(error).removeprefix("--changed: ")
            failure = f"the plan's history cannot be replayed: {reason}"
    relative = plan_path.relative_to(root).as_posix()
    try:
        infos = gitrepo.file_commits(root, relative)
        since = gitrepo.file_commits(root, relative, since=base) if base else infos
    except CommandFailed as error:
        return History(base, failure=f"git cannot read the plan's history: {error}")
    untrusted = {c.sha for c in since}
    blobs = read_blobs(root, [(info.sha, relative) for info in infos])
    commits = tuple(
        _plan_commit(
            config, info, blobs.get((info.sha, relative)), relative, info.sha not in untrusted
        )
        for info in infos
    )
    rules = IdentityRules(config.people_map)
    return History(base, commits, replay(commits, rules), failure)


def evidence_facts(config: Config, history: History, store: Mapping[str, Any]) -> Any:
    """The registration points with the commits that descend from each, and the store."""
    from researchflow.adapters.git import descendants
    from researchflow.verdicts.evidence import Facts, Point
    from researchflow.verdicts.history import APPROVAL

    points = []
    found: dict[str, frozenset[str]] = {}

    def below(sha: str) -> frozenset[str]:
        if sha not in found:
            found[sha] = frozenset(descendants(config.root, sha))
        return found[sha]

    for record in history.replay.points():
        label = "the approval" if record.kind == APPROVAL else f"re-approval {record.index + 1}"
        plan = record.commit.plan
        deviated: frozenset[str] = frozenset()
        for deviation in history.replay.deviations_after(record):
            deviated |= below(deviation.commit.sha)
        points.append(
            Point(
                label=label,
                field=record.field,
                commit=record.commit.sha,
                committed_ms=int(record.commit.committed.timestamp() * 1000),
                digest=record.digest,
                command=plan.command if plan is not None else (),
                baseline=plan.evaluation.baseline_command if plan is not None else (),
                descendants=below(record.commit.sha),
                deviated=deviated,
            )
        )
    failure = history.failure if history.failure and not history.commits else None
    return Facts(tuple(points), store, failure)


def _plan_commit(
    config: Config, info: Any, blob: bytes | None, relative: str, trusted: bool
) -> PlanCommit:
    from researchflow.documents.plan_rules import read_plan
    from researchflow.documents.registration import digest
    from researchflow.verdicts.evidence import parse_time

    plan = None
    registered = None
    if blob is not None:
        result = read_plan(blob, relative, config.sections)
        if result.document is not None:
            registered = digest(result.document, config.sections)
        plan = result.plan
    committed = parse_time(info.committed)
    assert committed is not None
    return PlanCommit(
        sha=info.sha,
        author_name=info.author_name,
        author_email=info.author_email,
        committed=committed,
        plan=plan,
        digest=registered,
        trusted=trusted,
    )
