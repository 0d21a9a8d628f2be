"""Move one hypothesis's runs between MLflow stores, keeping their run IDs.

`runs.yaml` names runs by ID, so a colleague's clone or a CI job can check a hypothesis made
elsewhere only if the runs arrive under the same IDs. MLflow's client cannot choose a run ID
(`create_run` draws a fresh uuid; mlflow-export-import makes new runs too), so the import
writes the rows itself through the embedded store's own SQLAlchemy models
(`mlflow.store.tracking.dbmodels.models`), in one transaction, into a store MLflow has
created and migrated. The export reads through the public client, from any store.

The bundle is a zip: `runs.json` (format `rflow-runs/1`: experiment name, every run's info,
tags, params and full metric history with timestamps and steps) and each run's artifacts
under `artifacts/<run id>/`.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen

FORMAT = "rflow-runs/1"
MANIFEST = "runs.json"


@frozen
class Transferred:
    runs: tuple[str, ...]  # run ids written (export: in the bundle; import: new in the store)
    skipped: tuple[str, ...] = ()  # import: already in the store, identical
    artifacts: int = 0  # files


def export_runs(
    uri: str, run_ids: list[str], output: Path, *, artifacts: bool = True
) -> Transferred:
    """Write the runs `run_ids` of the store at `uri` to the bundle `output` (atomically)."""
    from researchflow.adapters.mlflow_library import LibraryStore

    store = LibraryStore(uri)
    client = store.client
    runs: list[dict[str, Any]] = []
    files = 0
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=output.parent, prefix=f".{output.name}.", suffix=".tmp"
    )
    try:
        with (
            open(handle, "wb") as stream,
            zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as bundle,
        ):
            with store._calls():
                experiments: dict[str, str] = {}
                for run_id in run_ids:
                    run = client.get_run(run_id)
                    experiment = run.info.experiment_id
                    if experiment not in experiments:
                        experiments[experiment] = client.get_experiment(experiment).name
                    runs.append(_run_record(client, run, experiments[experiment]))
                    if artifacts:
                        files += _export_artifacts(run.info.artifact_uri, uri, run_id, bundle)
            manifest = {"format": FORMAT, "runs": runs}
            bundle.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
        Path(temporary).replace(output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Transferred(tuple(run_ids), (), files)


def _run_record(client: Any, run: Any, experiment_name: str) -> dict[str, Any]:
    info = run.info
    history = []
    for key in sorted(run.data.metrics):
        for metric in client.get_metric_history(info.run_id, key):
            value = None if math.isnan(metric.value) else metric.value
            history.append(
                {"key": key, "value": value, "timestamp": metric.timestamp, "step": metric.step}
            )
    return {
        "run_id": info.run_id,
        "experiment": experiment_name,
        "name": info.run_name,
        "user_id": info.user_id,
        "status": info.status,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "lifecycle_stage": info.lifecycle_stage,
        "tags": dict(run.data.tags),
        "params": dict(run.data.params),
        "metrics": history,
    }


def _artifact_repository(artifact_uri: str, tracking_uri: str) -> Any:
    """The run's artifact store, asked by its URI: MLflow's client caches a repository per
    run ID for the whole process, and an imported run has the same ID as its original.
    `tracking_uri` is passed on because an `mlflow-artifacts:` URI is otherwise resolved
    against the process's global tracking URI, whatever an earlier caller set it to."""
    import os

    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    return get_artifact_repository(artifact_uri, tracking_uri=tracking_uri)


def _export_artifacts(
    artifact_uri: str, tracking_uri: str, run_id: str, bundle: zipfile.ZipFile
) -> int:
    with tempfile.TemporaryDirectory() as folder:
        try:
            repository = _artifact_repository(artifact_uri, tracking_uri)
            if not repository.list_artifacts():
                return 0
            local = Path(repository.download_artifacts("", folder))
        except Exception as error:  # an artifact store this machine cannot read
            raise UserError(
                f"run {run_id}: its artifacts cannot be read ({str(error).splitlines()[0]}) "
                "(export with --no-artifacts, or run where the artifact store is reachable)"
            ) from None
        count = 0
        for path in sorted(p for p in local.rglob("*") if p.is_file()):
            name = PurePosixPath("artifacts", run_id, path.relative_to(local).as_posix())
            bundle.write(path, str(name))
            count += 1
        return count


def read_bundle(path: Path) -> list[dict[str, Any]]:
    """The runs of a bundle; UserError naming the file when it is not one."""
    try:
        with zipfile.ZipFile(path) as bundle:
            manifest = json.loads(bundle.read(MANIFEST))
    except FileNotFoundError:
        raise UserError(
            f"{path}: no such file (give the file `rflow store export` wrote)"
        ) from None
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UserError(
            f"{path}: not a run bundle (make one with `rflow store export ID -o FILE`)"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserError(
            f"{path}: {MANIFEST}: format: not {FORMAT} (export again with this rflow version)"
        )
    runs = manifest.get("runs")
    if not isinstance(runs, list) or not all(isinstance(r, dict) and r.get("run_id") for r in runs):
        raise UserError(f"{path}: {MANIFEST}: runs: not a list of runs (export it again)")
    return runs


def import_runs(uri: str, path: Path) -> Transferred:
    """Write the bundle's runs into the embedded store at `uri` under their own IDs; runs
    already there are left as they are. All runs in one transaction."""
    from researchflow.adapters.mlflow_library import LibraryStore

    if not uri.startswith("sqlite:"):
        raise UserError(
            f"rflow store import writes into an embedded (sqlite) store, not {uri} "
            "(unset MLFLOW_TRACKING_URI; a team server needs no import: check against it)"
        )
    runs = read_bundle(path)
    store = LibraryStore(uri)
    with store._calls():
        backend = store.client._tracking_client.store
        present = set(store.search([str(r["run_id"]) for r in runs]))
        fresh = [r for r in runs if r["run_id"] not in present]
        experiments = {
            name: store.experiment_id(name) for name in {str(r["experiment"]) for r in fresh}
        }
        _insert(backend, fresh, experiments)
    files = _import_artifacts(store, path, [str(r["run_id"]) for r in fresh])
    skipped = tuple(str(r["run_id"]) for r in runs if r["run_id"] in present)
    return Transferred(tuple(str(r["run_id"]) for r in fresh), skipped, files)


def _insert(backend: Any, runs: list[dict[str, Any]], experiments: dict[str, str]) -> None:
    from mlflow.store.tracking.dbmodels.models import (
        SqlLatestMetric,
        SqlMetric,
        SqlParam,
        SqlRun,
        SqlTag,
    )

    with backend.ManagedSessionMaker(read_only=False) as session:
        for record in runs:
            run_id = str(record["run_id"])
            experiment_id = experiments[str(record["experiment"])]
            location = backend.get_experiment(experiment_id).artifact_location
            session.add(
                SqlRun(
                    run_uuid=run_id,
                    name=record.get("name") or "",
                    artifact_uri=f"{location.rstrip('/')}/{run_id}/artifacts",
                    experiment_id=int(experiment_id),
                    source_type="UNKNOWN",
                    source_name="",
                    entry_point_name="",
                    user_id=record.get("user_id"),
                    status=record["status"],
                    start_time=record.get("start_time"),
                    end_time=record.get("end_time"),
                    deleted_time=None,
                    source_version="",
                    lifecycle_stage=record.get("lifecycle_stage") or "active",
                )
            )
            session.flush()  # the run row first: tags, params and metrics refer to it
            for key, value in (record.get("tags") or {}).items():
                session.add(SqlTag(run_uuid=run_id, key=key, value=value))
            for key, value in (record.get("params") or {}).items():
                session.add(SqlParam(run_uuid=run_id, key=key, value=value))
            latest: dict[str, dict[str, Any]] = {}
            seen: set[tuple[Any, ...]] = set()
            for metric in record.get("metrics") or []:
                value = metric["value"]
                is_nan = value is None
                row = {
                    "key": metric["key"],
                    "value": 0.0 if is_nan else float(value),
                    "timestamp": int(metric["timestamp"]),
                    "step": int(metric["step"]),
                    "is_nan": is_nan,
                }
                identity = tuple(row.values())
                if identity in seen:
                    continue  # MLflow keeps one row per identical (key, time, step, value)
                seen.add(identity)
                session.add(SqlMetric(run_uuid=run_id, **row))
                order = (row["step"], row["timestamp"], row["value"])
                best = latest.get(row["key"])
                if best is None or order > (best["step"], best["timestamp"], best["value"]):
                    latest[row["key"]] = row
            for row in latest.values():
                session.add(SqlLatestMetric(run_uuid=run_id, **row))


def _import_artifacts(store: Any, path: Path, run_ids: list[str]) -> int:
    wanted = set(run_ids)
    count = 0
    with zipfile.ZipFile(path) as bundle, tempfile.TemporaryDirectory() as folder:
        names = [n for n in bundle.namelist() if n.startswith("artifacts/") and not n.endswith("/")]
        by_run: dict[str, list[str]] = {}
        for name in names:
            parts = PurePosixPath(name).parts
            if len(parts) < 3 or parts[1] not in wanted or ".." in parts:
                continue
            by_run.setdefault(parts[1], []).append(name)
        for run_id, members in sorted(by_run.items()):
            local = Path(folder) / run_id
            for name in members:
                target = local.joinpath(*PurePosixPath(name).parts[2:])
                target.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(name) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink)
                count += 1
            with store._calls():
                uri = store.client.get_run(run_id).info.artifact_uri
                _artifact_repository(uri, store.uri).log_artifacts(str(local))
    return count
