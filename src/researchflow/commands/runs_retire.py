"""`rflow runs retire RUN --reason …`: a run that was a mistake (wrong split, a typo in a
parameter) stays in runs.yaml and in the report's count of runs tried, but never carries a
verdict. Nothing is deleted, from the file or the store; nothing is committed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen, replace
from researchflow.documents.config import Config
from researchflow.documents.project import shown_path


@frozen
class RetireResult:
    run_id: str
    path: str
    reason: str
    by: str
    at: str
    changed: bool  # False: it was retired already
    untagged: str | None = None  # why the store's run is not tagged rflow.retired

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "runs_file": self.path,
            "retired": {"reason": self.reason, "by": self.by, "at": self.at},
            "changed": self.changed,
        }

    def to_text(self) -> str:
        if not self.changed:
            return f"run {self.run_id} was already retired by {self.by} at {self.at}: {self.reason}"
        store = f"; not tagged in the store: {self.untagged}" if self.untagged else ""
        return (
            f"{self.path}: run {self.run_id} retired by {self.by}: {self.reason} "
            "(it stays counted as tried and never carries a verdict; commit runs.yaml, then "
            f"`rflow report --update`){store}"
        )


def find_runs_file(config: Config, run_id: str) -> Path:
    """The runs.yaml under the research folder that lists `run_id`."""
    from researchflow.documents.runlog import find_runs_file as find

    return find(config.root, config.research_dir, run_id)


def retire(config: Config, run_id: str, reason: str) -> RetireResult:
    from researchflow.adapters.git import acting_user
    from researchflow.documents.runlog import RunEntry, read_runs, update_run, utc_timestamp

    run_id = run_id.strip()
    reason = " ".join(reason.split())
    if not run_id:
        raise UserError("RUN: empty (give the MLflow run ID listed in runs.yaml)")
    if not reason:
        raise UserError(
            "--reason: empty (say why the run was a mistake, e.g. 'ran on the test split')"
        )
    path = find_runs_file(config, run_id)
    shown = shown_path(path)
    entry = next(e for e in read_runs(path).runs if e.run_id == run_id)
    if entry.retired:
        old = dict(entry.retired)
        return RetireResult(
            run_id, shown, old.get("reason", ""), old.get("by", ""), old.get("at", ""), False
        )
    record = {"reason": reason, "by": acting_user(config.root), "at": utc_timestamp()}

    def mark(found: RunEntry) -> RunEntry:
        return replace(found, retired=record)

    update_run(path, run_id, mark)
    tagged = _tag_in_store(config, run_id, record["reason"])
    return RetireResult(run_id, shown, record["reason"], record["by"], record["at"], True, tagged)


def _tag_in_store(config: Config, run_id: str, reason: str) -> str | None:
    """Tag the run `rflow.retired` in the store too, so the MLflow UI shows it; runs.yaml is
    the record. None when tagged, else why not (a clone without the store: nothing made)."""
    from researchflow.adapters.mlflow import open_store
    from researchflow.base.errors import RflowError
    from researchflow.base.names import RETIRED
    from researchflow.documents.config import tracking_uri
    from researchflow.runs.storeplace import sqlite_file

    uri = tracking_uri(config)
    database = sqlite_file(uri, config.root)
    if database is not None and not database.exists():
        return "this machine has no store holding it"
    try:
        store = open_store(uri)
        if store.get_run(run_id) is None:
            return "the store in use does not hold it"
        store.set_tag(run_id, RETIRED, reason)
    except RflowError as error:
        return str(error)
    return None
