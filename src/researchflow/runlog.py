"""`runs.yaml`: the run ↔ commit ↔ data links of one hypothesis, appended under a lock.

The model is pure; `append_run` is the one writer. It locks the hypothesis folder itself
(flock on the directory) rather than a lock file, because a lock file would be an untracked
file in the research folder and so count as dirt for the next `rflow run`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from researchflow.errors import UserError
from researchflow.fileio import write_atomic
from researchflow.project import RUNS_FILE

STATUSES = ("FINISHED", "FAILED", "KILLED")
SOURCES = ("run", "link", "rerun")
HEADER = "# Written by rflow: one entry per MLflow run linked to this hypothesis.\n"


@dataclass(frozen=True)
class RunEntry:
    """One MLflow run linked to a hypothesis, as `runs.yaml` records it."""

    run_id: str
    experiment_id: str
    tracking_uri: str
    commit: str
    branch: str | None  # None when HEAD was detached (a rerun's temporary worktree)
    dirty: bool
    command: tuple[str, ...]
    data: Mapping[str, str] = field(default_factory=dict)  # DVC path → md5
    started: str = ""  # ISO 8601, UTC, e.g. 2026-11-23T10:00:00Z
    ended: str = ""
    status: str = "FINISHED"
    metrics: Mapping[str, float] = field(default_factory=dict)  # the plan's predicted metrics
    source: str = "run"
    rerun_of: str | None = None
    # Written only when set, so entries made before these fields existed stay byte-identical.
    cwd: str = ""  # the working folder relative to the repository root; "" is the root
    outputs: Mapping[str, str] = field(default_factory=dict)  # DVC outputs the run produced
    group: str | None = None  # the parent run of a group of repeats
    repeat: int | None = None  # this run's repeat index within its group (its RFLOW_SEED)
    arm: str | None = None  # "baseline" for a baseline_command repeat, else None
    exploratory: bool = False  # declared not to be evidence (`rflow link --exploratory`)
    retired: Mapping[str, str] | None = None  # {reason, by, at}: `rflow runs retire`
    user: str | None = None  # who made the run (the store's mlflow.user)
    dvc_exp: str | None = None  # the DVC experiment the run made (`dvc exp run`)

    def to_dict(self) -> dict[str, Any]:
        optional = {
            "cwd": self.cwd or None,
            "outputs": dict(self.outputs) or None,
            "group": self.group,
            "repeat": self.repeat,
            "arm": self.arm,
            "exploratory": self.exploratory or None,
            "retired": dict(self.retired) if self.retired else None,
            "user": self.user,
            "dvc_exp": self.dvc_exp,
        }
        return {
            "run_id": self.run_id,
            "experiment_id": self.experiment_id,
            "tracking_uri": self.tracking_uri,
            "commit": self.commit,
            "branch": self.branch,
            "dirty": self.dirty,
            "command": list(self.command),
            "data": dict(self.data),
            "started": self.started,
            "ended": self.ended,
            "status": self.status,
            "metrics": dict(self.metrics),
            "source": self.source,
            "rerun_of": self.rerun_of,
            **{key: value for key, value in optional.items() if value is not None},
        }


@dataclass(frozen=True)
class RunLog:
    hypothesis: str | None
    runs: tuple[RunEntry, ...] = ()

    def run_ids(self) -> set[str]:
        return {entry.run_id for entry in self.runs}


def utc_timestamp(milliseconds: int | None = None) -> str:
    """MLflow's epoch milliseconds (or now) as `2026-11-23T10:00:00Z`."""
    moment = (
        dt.datetime.now(dt.UTC)
        if milliseconds is None
        else dt.datetime.fromtimestamp(milliseconds / 1000, dt.UTC)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def read_runs(path: Path) -> RunLog:
    """The log at `path`; a missing file is an empty log."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return RunLog(None)
    return parse_runs(text, str(path))


def parse_runs(text: str, shown: str = RUNS_FILE) -> RunLog:
    import yaml

    try:
        # the C loader when PyYAML has it: a long-lived hypothesis has hundreds of entries
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise UserError(f"{shown}:{line}: invalid YAML (restore it from git)") from None
    if data is None:
        return RunLog(None)
    if not isinstance(data, dict) or not isinstance(data.get("runs", []), list):
        raise UserError(f"{shown}: runs: must be a list of entries (restore it from git)")
    hypothesis = data.get("hypothesis")
    entries = tuple(
        _entry(item, f"{shown}: runs[{index}]") for index, item in enumerate(data.get("runs") or [])
    )
    return RunLog(str(hypothesis) if hypothesis else None, entries)


def _entry(item: Any, where: str) -> RunEntry:
    if not isinstance(item, dict):
        raise UserError(f"{where}: must be a mapping (restore it from git)")
    for key in ("run_id", "experiment_id", "commit"):
        if not item.get(key):
            raise UserError(f"{where}.{key}: missing (restore the file from git)")
    command = item.get("command") or []
    if isinstance(command, str):
        command = [command]
    return RunEntry(
        run_id=str(item["run_id"]),
        experiment_id=str(item["experiment_id"]),
        tracking_uri=str(item.get("tracking_uri") or ""),
        commit=str(item["commit"]),
        branch=str(item["branch"]) if item.get("branch") else None,
        dirty=bool(item.get("dirty", False)),
        command=tuple(str(part) for part in command),
        data={str(k): str(v) for k, v in (item.get("data") or {}).items()},
        started=_timestamp(item.get("started")),
        ended=_timestamp(item.get("ended")),
        status=str(item.get("status") or ""),
        metrics={str(k): float(v) for k, v in (item.get("metrics") or {}).items() if v is not None},
        source=str(item.get("source") or "run"),
        rerun_of=str(item["rerun_of"]) if item.get("rerun_of") else None,
        cwd=str(item.get("cwd") or ""),
        outputs={str(k): str(v) for k, v in (item.get("outputs") or {}).items()},
        group=str(item["group"]) if item.get("group") else None,
        repeat=int(item["repeat"]) if item.get("repeat") is not None else None,
        arm=str(item["arm"]) if item.get("arm") else None,
        exploratory=bool(item.get("exploratory", False)),
        retired={str(k): str(v) for k, v in item["retired"].items()}
        if isinstance(item.get("retired"), dict)
        else None,
        user=str(item["user"]) if item.get("user") else None,
        dvc_exp=str(item["dvc_exp"]) if item.get("dvc_exp") else None,
    )


def _timestamp(value: Any) -> str:
    # a hand-edited file may hold an unquoted timestamp, which YAML reads as a datetime
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "" if value is None else str(value)


def render_runs(hypothesis_id: str, entries: tuple[RunEntry, ...] | list[RunEntry]) -> str:
    import yaml

    body = {"hypothesis": hypothesis_id, "runs": [entry.to_dict() for entry in entries]}
    dumped = yaml.dump(
        body,
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        sort_keys=False,
        default_flow_style=None,
        allow_unicode=True,
        width=1000,
    )
    return HEADER + dumped


def append_run(path: Path, hypothesis_id: str, entry: RunEntry) -> None:
    """Add one entry; atomic, and safe against concurrent writers on the same machine."""
    with _locked(path.parent):
        log = read_runs(path)
        write_atomic(path, render_runs(hypothesis_id, [*log.runs, entry]))


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock
