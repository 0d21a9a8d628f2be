"""Runs rflow started but has not recorded yet: one small file each under `.rflow/pending/`.

`rflow run` writes the file before the child starts and deletes it once the run is ended in
the store and appended to runs.yaml. A file left behind means that did not happen: rflow
was killed (`kill -9`, a lost CI runner), the MLflow server went away before the end, or
runs.yaml could not be written. The next `rflow run` that reaches the store settles each
one whose rflow is gone (`settle`): a run still RUNNING in the store is ended KILLED when
rflow was killed, FAILED when the server was lost at the end (its last metrics may be
missing), and the entry is appended to runs.yaml, so every run tried stays on the record.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import asdict, frozen, replace
from researchflow.documents.runlog import RunEntry

FOLDER = "pending"


@frozen
class Pending:
    """What rflow knew about a run it had not recorded yet."""

    hypothesis: str
    runs_file: str  # absolute path of the runs.yaml to append to
    pid: int  # the rflow process that started the run
    entry: dict[str, Any]  # RunEntry.to_dict(); status is what the run should end as

    @property
    def run_id(self) -> str:
        return str(self.entry["run_id"])


def pending_path(state: Path, run_id: str) -> Path:
    return state / FOLDER / f"{run_id}.json"


def remember(state: Path, pending: Pending) -> Path:
    """Write (or overwrite) the note for one run; OSError when it cannot be written."""
    path = pending_path(state, pending.run_id)
    write_atomic(path, json.dumps(asdict(pending), indent=2) + "\n")
    return path


def forget(state: Path, run_id: str) -> None:
    pending_path(state, run_id).unlink(missing_ok=True)


def left_behind(state: Path) -> list[Pending]:
    """Notes whose rflow process is gone (a live one is still running its child)."""
    folder = state / FOLDER
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            pending = Pending(
                str(data["hypothesis"]), str(data["runs_file"]), int(data["pid"]), data["entry"]
            )
            RunEntry(**_entry_fields(pending.entry))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours, or damaged: leave it for a person to look at
        if not _alive(pending.pid):
            found.append(pending)
    return found


def _entry_fields(entry: dict[str, Any]) -> dict[str, Any]:
    fields = dict(entry)
    fields["command"] = tuple(fields.get("command") or ())
    return fields


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier rflow with a recycled pid: not running anything now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def settle(
    state: Path,
    store: Any,
    append: Callable[[Path, str, RunEntry], None],
    now_ms: Callable[[], int],
) -> list[str]:
    """End in the store, and append to runs.yaml, every run an earlier rflow lost; one
    line per run saying what was done. Runs that still cannot be recorded keep their note."""
    from researchflow.base.errors import UserError
    from researchflow.documents.runlog import read_runs, utc_timestamp

    said = []
    for pending in left_behind(state):
        entry = RunEntry(**_entry_fields(pending.entry))
        stored = store.get_run(entry.run_id)
        if stored is not None and stored.status == "RUNNING":
            end = now_ms()
            store.finish_run(entry.run_id, entry.status, end)
            entry = _replace(entry, ended=entry.ended or utc_timestamp(end))
        elif stored is not None and stored.status in ("FINISHED", "FAILED", "KILLED"):
            entry = _replace(entry, status=entry.status or stored.status)
        runs_file = Path(pending.runs_file)
        try:
            if entry.run_id not in read_runs(runs_file).run_ids():
                append(runs_file, pending.hypothesis, entry)
        except (OSError, UserError) as error:
            said.append(f"run {entry.run_id} still not recorded: {error}")
            continue
        forget(state, entry.run_id)
        said.append(
            f"run {entry.run_id} of {pending.hypothesis}, lost by an earlier rflow, "
            f"ended {entry.status} and recorded in {pending.runs_file}"
        )
    return said


def _replace(entry: RunEntry, **changes: Any) -> RunEntry:
    return replace(entry, **changes)
