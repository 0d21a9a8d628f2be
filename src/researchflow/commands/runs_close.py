"""`rflow runs close RUN_ID`: end a run left RUNNING in the store (its rflow was killed, or
lost the server, possibly on another machine), and record it when this checkout noted it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen
from researchflow.base.output import fields_json
from researchflow.documents.config import Config, tracking_uri

CLOSING = ("KILLED", "FAILED")


@frozen
class CloseResult:
    run_id: str
    status: str  # what the run is now
    closed: bool  # False: it had already ended
    recorded: str | None = None  # the runs.yaml the entry went into

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)

    def to_text(self) -> str:
        if not self.closed:
            return f"run {self.run_id} had already ended {self.status}: nothing to close"
        where = f", recorded in {self.recorded}" if self.recorded else ""
        return f"run {self.run_id} ended {self.status}{where}"


def close(config: Config, run_id: str, status: str = "KILLED") -> CloseResult:
    from researchflow.adapters.mlflow import open_store
    from researchflow.adapters.mlflow_store import now_ms
    from researchflow.documents.runlog import RunEntry, append_run, read_runs
    from researchflow.runs.pendingruns import forget, left_behind, pending_path
    from researchflow.runs.storeplace import require_store_of_runs

    if status not in CLOSING:
        raise UserError(f"--status: {status} (use KILLED or FAILED)")
    if not run_id.strip():
        raise UserError("RUN_ID: empty (give the MLflow run ID that `rflow check` named)")
    uri = tracking_uri(config)
    require_store_of_runs(config.root, uri, config.research_dir, [run_id])
    store = open_store(uri)
    store.check()
    run = store.get_run(run_id)
    if run is None:
        raise UserError(f"run {run_id}: not in the store at {store.uri} (check the run ID)")
    if run.status != "RUNNING":
        return CloseResult(run_id, run.status, closed=False)
    store.finish_run(run_id, status, now_ms())
    recorded = None
    noted = [p for p in left_behind(config.state_path) if p.run_id == run_id]
    if noted or pending_path(config.state_path, run_id).exists():
        for pending in noted:
            fields = {**pending.entry, "status": status}
            fields["command"] = tuple(fields.get("command") or ())
            entry = RunEntry(**fields)
            runs_file = Path(pending.runs_file)
            if run_id not in read_runs(runs_file).run_ids():
                append_run(runs_file, pending.hypothesis, entry)
            recorded = str(runs_file)
        forget(config.state_path, run_id)
    return CloseResult(run_id, status, closed=True, recorded=recorded)
