"""`rflow store export ID -o FILE` / `rflow store import FILE`: a hypothesis's runs from
one embedded store to another under the same run IDs, so a colleague's clone or a CI job
can check it without a tracking server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen
from researchflow.base.names import RUNS_FILE
from researchflow.base.output import fields_json
from researchflow.documents.config import Config, tracking_uri


@frozen
class StoreTransferResult:
    action: str  # export | import
    file: str
    runs: tuple[str, ...]
    skipped: tuple[str, ...]
    artifacts: int
    store: str

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)

    def to_text(self) -> str:
        count = len(self.runs)
        runs = f"{count} run{'s' if count != 1 else ''}"
        files = f" and {self.artifacts} artifact file(s)" if self.artifacts else ""
        if self.action == "export":
            return (
                f"exported {runs}{files} from {self.store} to {self.file} "
                f"(on the other machine: `rflow store import {self.file}`)"
            )
        kept = f"; {len(self.skipped)} already there" if self.skipped else ""
        return f"imported {runs}{files} from {self.file} into {self.store}{kept}"


def export(
    config: Config, hypothesis_id: str | None, output: Path, *, artifacts: bool = True
) -> StoreTransferResult:
    """Every run runs.yaml lists for the hypothesis, and every run the store holds with its
    tag (the gate counts those too), into the bundle `output`."""
    from researchflow.adapters.git import redact
    from researchflow.adapters.mlflow import open_store
    from researchflow.adapters.mlflow_transfer import export_runs
    from researchflow.base.names import HYPOTHESIS
    from researchflow.documents.runlog import read_runs
    from researchflow.process.hypotheses import resolve_hypothesis
    from researchflow.runs.storeplace import require_runs_found, require_store

    hypothesis, folder = resolve_hypothesis(config, hypothesis_id)
    entries = read_runs(folder / RUNS_FILE).runs
    uri = tracking_uri(config)
    require_store(config.root, uri, hypothesis, entries)
    store = open_store(uri)
    store.check()
    found = store.search_tagged(HYPOTHESIS, hypothesis)
    listed = [entry.run_id for entry in entries]
    found.update(store.search([run for run in listed if run not in found]))
    require_runs_found(config.root, uri, hypothesis, entries, found)
    if not found:
        raise UserError(
            f"{folder.name}/{RUNS_FILE}: no runs of {hypothesis} in the store "
            f"(make them with `rflow run {hypothesis}` first)"
        )
    missing = [run for run in listed if run not in found]
    if missing:
        raise UserError(
            f"{folder.name}/{RUNS_FILE}: run {missing[0]} is not in the store {redact(uri)} "
            "(export from the store the runs were made in)"
        )
    moved = export_runs(uri, sorted(found), output, artifacts=artifacts)
    shown = str(output)
    return StoreTransferResult("export", shown, moved.runs, (), moved.artifacts, redact(uri))


def import_(config: Config, bundle: Path) -> StoreTransferResult:
    """The bundle's runs into this machine's embedded store; runs already there stay."""
    from researchflow.adapters.git import redact
    from researchflow.adapters.mlflow_transfer import import_runs

    uri = tracking_uri(config)
    moved = import_runs(uri, bundle)
    return StoreTransferResult(
        "import", str(bundle), moved.runs, moved.skipped, moved.artifacts, redact(uri)
    )
