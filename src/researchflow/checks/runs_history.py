"""runs.yaml as git holds it: a run is recorded once, when it ends (issue 21).

rflow appends a run's entry when the run ends; later commits may add a note or retire it,
never change what the run was (its commit, command, times, status, seed) or drop it. The
store can be edited after the fact (MLflow's client ends a run again, FAILED, with a new
end time); comparing the store with runs.yaml *at HEAD* misses it when the branch edits
runs.yaml to match, so the entry as first committed is the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from researchflow.base.frozen import frozen

# what a run was; `note`, `retired` and the store address may be added or moved later
FROZEN = (
    "commit",
    "command",
    "started",
    "ended",
    "status",
    "dirty",
    "group",
    "repeat",
    "arm",
    "user",
)
OPEN = "RUNNING"  # an entry still running may be closed once (`rflow runs close`)


@frozen
class Rewrite:
    run_id: str
    field: str  # one of FROZEN, or "" when the entry was removed
    sha: str  # the commit that changed it
    before: str
    after: str
    recorded: str  # the commit that first recorded it


def rewrites(versions: Sequence[tuple[str, Sequence[Any] | None]]) -> list[Rewrite]:
    """Each change to a recorded run's frozen fields, and each recorded run removed, over
    runs.yaml's versions (sha, entries or None when unreadable), oldest first (pure)."""
    recorded: dict[str, tuple[str, Any]] = {}  # run id → (sha, entry as first recorded)
    found: list[Rewrite] = []
    seen: set[tuple[str, str]] = set()
    for sha, entries in versions:
        if entries is None:
            continue
        now = {entry.run_id: entry for entry in entries}
        for run_id, (first_sha, first) in recorded.items():
            entry = now.get(run_id)
            if entry is not None and first.status == OPEN:
                continue  # recorded while running: closed later, recorded again then
            if entry is None:
                if (run_id, "") not in seen:
                    seen.add((run_id, ""))
                    found.append(Rewrite(run_id, "", sha, "", "", first_sha))
                continue
            for name in FROZEN:
                was, is_ = getattr(first, name, None), getattr(entry, name, None)
                if was != is_ and (run_id, name) not in seen:
                    seen.add((run_id, name))
                    found.append(Rewrite(run_id, name, sha, _shown(was), _shown(is_), first_sha))
        for run_id, entry in now.items():
            held = recorded.get(run_id)
            if held is None or held[1].status == OPEN:
                recorded[run_id] = (sha, entry)
    return found


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    return "none" if value in (None, "") else str(value)


def read_versions(root: Any, relative: str, base: str | None) -> list[tuple[str, Any]]:
    """runs.yaml at the merge-base and at each later commit that touched it, oldest first,
    parsed (None where unreadable): one `git log` and one batched object read."""
    import yaml

    from researchflow.adapters.git import file_commits
    from researchflow.adapters.gitobjects import read_blobs
    from researchflow.base.errors import RflowError
    from researchflow.documents.runlog import parse_runs

    shas = ([base] if base else []) + [c.sha for c in file_commits(root, relative, since=base)]
    blobs = read_blobs(root, [(sha, relative) for sha in shas])
    versions: list[tuple[str, Any]] = []
    for sha in shas:
        blob = blobs.get((sha, relative))
        if blob is None:
            continue
        try:
            versions.append((sha, parse_runs(blob, relative).runs))
        except (RflowError, ValueError, yaml.YAMLError):  # unreadable there: judged at HEAD
            versions.append((sha, None))
    return versions
