"""`runs.yaml`: the run ↔ commit ↔ data links of one hypothesis, appended under a lock.

The model is pure; `append_run` is the one writer. It locks the hypothesis folder itself
(flock on the directory) rather than a lock file, because a lock file would be an untracked
file in the research folder and so count as dirt for the next `rflow run`.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from researchflow.base.errors import UserError
from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import field, frozen
from researchflow.base.names import RUNS_FILE

if TYPE_CHECKING:
    from researchflow.base.problems import Problem

STATUSES = ("FINISHED", "FAILED", "KILLED")
SOURCES = ("run", "link", "rerun")
HEADER = "# Written by rflow: one entry per MLflow run linked to this hypothesis.\n"


@frozen
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
    patch: str | None = None  # artifact with `git diff HEAD` of an --allow-dirty run
    note: str | None = None  # one line kept with the run (MLflow's description)

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
            "patch": self.patch,
            "note": self.note,
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


@frozen
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
    if path.is_symlink() or (path.exists() and not path.is_file()):
        # a symlink to /dev/zero would be read forever
        raise UserError(f"{path}: is a symlink or not a regular file (restore it from git)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return RunLog(None)
    except OSError as error:
        raise UserError(f"{path}: cannot read: {error.strerror} (check its permissions)") from None
    return parse_runs(raw, str(path))


CONFLICT_MARKERS = ("<<<<<<< ", "=======", ">>>>>>> ")


def parse_runs(text: str | bytes, shown: str = RUNS_FILE) -> RunLog:
    """The log in `text`; UserError naming the file, line and field of its first problem."""
    from researchflow.base.safeyaml import YamlLimitError
    from researchflow.documents.runlog_schema import read_log
    from researchflow.documents.schema import error_line

    try:
        text, data = _load(text)
    except YamlLimitError as error:
        raise UserError(f"{shown}:{error.line}: {error.message} ({error.fix})") from None
    hypothesis, entries, problems = read_log(data, text, shown)
    if problems:
        raise UserError(error_line(problems[0])) from None
    return RunLog(hypothesis, tuple(_entry(values) for values in entries))


def runs_problems(raw: bytes, shown: str) -> tuple[Problem, ...]:
    """Every problem of a runs.yaml (`rflow validate research/H-007-x/runs.yaml`)."""
    from researchflow.base.problems import Problem
    from researchflow.base.safeyaml import YamlLimitError
    from researchflow.documents.runlog_schema import read_log

    try:
        text, data = _load(raw)
    except YamlLimitError as error:  # not readable as YAML at all
        return (Problem(shown, error.line, "file", error.message, error.fix),)
    return tuple(read_log(data, text, shown)[2])


def _entry(values: dict[str, Any]) -> RunEntry:
    mappings = {
        "data": values["data"] or {},
        "metrics": values["metrics"] or {},
        "outputs": values["outputs"] or {},
        "retired": values["retired"] or None,  # an empty one retires nothing
    }
    return RunEntry(**{**values, **mappings})


def _load(text: str | bytes) -> tuple[str, Any]:
    """The text and what YAML makes of it; YamlLimitError when it cannot be read."""
    from researchflow.base import safeyaml

    if isinstance(text, bytes):
        text = safeyaml.decode(text)
    marker = conflict_marker_line(text)
    if marker:
        raise safeyaml.YamlLimitError(
            marker, "unresolved merge conflict markers", "resolve the conflict, then commit"
        )
    return text, safeyaml.load(text)


def conflict_marker_line(text: str) -> int:
    """The 1-based line of the first git conflict marker, 0 when there is none."""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(CONFLICT_MARKERS) and (line != "=======" or "<<<<<<< " in text):
            return number
    return 0


def render_runs(hypothesis_id: str, entries: tuple[RunEntry, ...] | list[RunEntry]) -> str:
    from researchflow.base import safeyaml

    body = {"hypothesis": hypothesis_id, "runs": [entry.to_dict() for entry in entries]}
    dumped = safeyaml.dump(
        body,
        sort_keys=False,
        default_flow_style=None,
        allow_unicode=True,
        width=1000,
    )
    return HEADER + dumped


def check_recordable(path: Path) -> RunLog:
    """Before a run starts: `path` parses, has no conflict markers, and a new version of it
    can be written next to it (writable folder, not immutable, room on the disk).

    A run that rflow cannot record must not start: UserError naming the file and the fix.
    """
    import errno

    from researchflow.base.fileio import require_space

    log = read_runs(path)
    folder = path.parent
    require_space(folder, "run")
    probe: Path | None = None
    try:
        # what write_atomic does, with the same size (and a name `rflow run` ignores as dirt)
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        probe = Path(name)
        with os.fdopen(handle, "wb") as stream:
            stream.write(b"\0" * (path.stat().st_size if path.exists() else 0) + b"\0" * 4096)
            stream.flush()
            os.fsync(stream.fileno())
        if path.exists():
            # an immutable or append-only file (chattr +i/+a) cannot be replaced
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
            os.close(descriptor)
    except OSError as error:
        if error.errno != errno.EACCES or probe is None:
            reason = error.strerror or str(error)
            raise UserError(
                f"{path}: cannot be written ({reason}) (make it writable, or free some space, "
                "before the run: nothing was started)"
            ) from None
    finally:
        if probe is not None:
            probe.unlink(missing_ok=True)
    return log


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


def update_run(path: Path, run_id: str, change: Callable[[RunEntry], RunEntry]) -> RunEntry:
    """Replace the entry of `run_id` with `change(entry)`, under the same lock as appends;
    UserError when the file does not list it."""
    with _locked(path.parent):
        log = read_runs(path)
        if run_id not in log.run_ids():
            raise UserError(f"{path}: run {run_id} is not listed (check the run ID)")
        entries = [change(e) if e.run_id == run_id else e for e in log.runs]
        write_atomic(path, render_runs(log.hypothesis or "", entries))
        return next(e for e in entries if e.run_id == run_id)


def find_runs_file(root: Path, research_dir: str, run_id: str) -> Path:
    """The runs.yaml under the research folder that lists `run_id`."""
    for path in sorted((root / research_dir).glob(f"*/{RUNS_FILE}")):
        if run_id in read_runs(path).run_ids():
            return path
    raise UserError(
        f"run {run_id}: not listed in any {research_dir}/*/{RUNS_FILE} "
        "(give a run ID that runs.yaml lists; `rflow link` adopts a run made elsewhere)"
    )
