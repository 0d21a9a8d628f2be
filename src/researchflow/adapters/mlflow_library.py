"""The MLflow library's way into a store (`mlflow.MlflowClient`): a file store,
Databricks, and the embedded sqlite file when its own tracking server is off or cannot
start; the fluent run a child or a notebook logs into. The only module that imports mlflow,
and only inside functions."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from researchflow.adapters import mlflow_store
from researchflow.base.errors import UserError


class LibraryStore:
    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            with _quiet_mlflow(), _first_use_lock(self.uri):
                from mlflow import MlflowClient

                self._client = MlflowClient(tracking_uri=self.uri)
                _ = self._client._tracking_client.store  # creates/migrates the database now
                _write_ahead_log(self.uri)
        return self._client

    @contextmanager
    def _calls(self) -> Iterator[None]:
        from mlflow.exceptions import MlflowException

        try:
            yield
        except MlflowException as error:
            code = str(getattr(error, "error_code", "INTERNAL_ERROR"))
            raise mlflow_store.StoreError(code, str(error.message).splitlines()[0]) from None

    def check(self) -> None:
        with self._calls():
            self.client  # noqa: B018 - opening the store is the check

    def experiment_id(self, name: str) -> str:
        with self._calls():
            found = self.client.get_experiment_by_name(name)
            if found is not None:
                return str(found.experiment_id)
            try:
                return str(self.client.create_experiment(name, artifact_location=self._artifacts()))
            except Exception:
                found = self.client.get_experiment_by_name(name)  # another run created it
                if found is None:
                    raise
                return str(found.experiment_id)

    def create_run(self, experiment_id: str, tags: Mapping[str, str], start_ms: int) -> str:
        with self._calls():
            run = self.client.create_run(experiment_id, start_time=start_ms, tags=dict(tags))
            return str(run.info.run_id)

    def log(self, run_id: str, params: Mapping[str, str], tags: Mapping[str, str]) -> None:
        from mlflow.entities import Param, RunTag

        with self._calls():
            items: list[Param | RunTag] = [Param(k, v) for k, v in params.items()]
            items += [RunTag(k, v) for k, v in tags.items()]
            for chunk in mlflow_store._chunks(items, mlflow_store.BATCH):
                self.client.log_batch(
                    run_id,
                    params=[i for i in chunk if isinstance(i, Param)],
                    tags=[i for i in chunk if isinstance(i, RunTag)],
                )

    def children(self, experiment_id: str, run_id: str) -> list[str]:
        return _library_children(self, experiment_id, run_id)

    def _artifacts(self) -> str | None:
        """The embedded store keeps artifacts beside its database (under `.rflow/`), never
        in the working tree where MLflow's default `./mlruns` would dirty it."""
        if not self.uri.startswith("sqlite:///"):
            return None
        return (Path(self.uri.removeprefix("sqlite:///")).parent / "artifacts").as_uri()

    def log_metrics(self, run_id: str, metrics: Mapping[str, float]) -> None:
        from mlflow.entities import Metric

        stamp = mlflow_store.now_ms()
        with self._calls():
            items = [Metric(k, v, stamp, 0) for k, v in metrics.items()]
            for chunk in mlflow_store._chunks(items, mlflow_store.BATCH):
                self.client.log_batch(run_id, metrics=chunk)

    def log_artifacts(self, run_id: str, files: list[tuple[Path, str]]) -> None:
        with self._calls():
            for path, folder in files:
                self.client.log_artifact(run_id, str(path), folder or None)

    def finish_run(self, run_id: str, status: str, end_ms: int) -> None:
        import contextlib
        import io

        # MLflow prints "View run … at: URL" to stdout here: rflow shows its own link, and
        # stdout must stay clean for `--json` and for check's output
        with self._calls(), contextlib.redirect_stdout(io.StringIO()):
            self.client.set_terminated(run_id, status=status, end_time=end_ms)

    def get_run(self, run_id: str) -> mlflow_store.StoreRun | None:
        from mlflow.exceptions import MlflowException

        try:
            return _from_entity(self.client.get_run(run_id))
        except MlflowException:
            return None

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        with self._calls():
            self.client.set_tag(run_id, key, value)

    def search(self, run_ids: list[str]) -> dict[str, mlflow_store.StoreRun]:
        if not run_ids:
            return {}
        from mlflow.entities import ViewType

        with self._calls():
            experiments = self.client.search_experiments(view_type=ViewType.ALL)
            ids = [e.experiment_id for e in experiments]
            found: dict[str, mlflow_store.StoreRun] = {}
            for chunk in mlflow_store._chunks(run_ids, mlflow_store.SEARCH_CHUNK):
                for run in self._search(ids, mlflow_store._run_filter(chunk)):
                    found[run.info.run_id] = _from_entity(run)
            return found

    def search_tagged(self, key: str, value: str) -> dict[str, mlflow_store.StoreRun]:
        from mlflow.entities import ViewType

        with self._calls():
            experiments = self.client.search_experiments(view_type=ViewType.ALL)
            ids = [e.experiment_id for e in experiments]
            found: dict[str, mlflow_store.StoreRun] = {}
            # a deleted run was still tried
            runs = self._search(ids, mlflow_store._tag_filter(key, value), ViewType.ALL)
            for run in runs:
                found[run.info.run_id] = _from_entity(run)
            return found

    def _search(self, ids: list[str], where: str, view: Any = None) -> Iterator[Any]:
        """Every run the filter finds, page by page (`view`: the default, active only)."""
        options = {} if view is None else {"run_view_type": view}
        token = None
        while True:
            page = self.client.search_runs(
                ids, filter_string=where, max_results=1000, page_token=token, **options
            )
            yield from page
            token = page.token
            if not token:
                return


def _library_children(store: LibraryStore, experiment_id: str, run_id: str) -> list[str]:
    with store._calls():
        runs = store.client.search_runs(
            [experiment_id], filter_string=mlflow_store._child_filter(run_id)
        )
        return [run.info.run_id for run in runs]


def _from_entity(run: Any) -> mlflow_store.StoreRun:
    return mlflow_store.StoreRun(
        run_id=run.info.run_id,
        experiment_id=str(run.info.experiment_id),
        status=str(run.info.status),
        start_time_ms=run.info.start_time,
        end_time_ms=run.info.end_time,
        tags=dict(run.data.tags),
        metrics={k: float(v) for k, v in run.data.metrics.items()},
        params=dict(run.data.params),
        metric_times={
            m.key: int(m.timestamp) for m in getattr(run.data, "_metric_objs", []) if m.timestamp
        },
        deleted=run.info.lifecycle_stage == "deleted",
    )


@contextmanager
def _quiet_mlflow() -> Iterator[None]:
    """MLflow logs alembic migrations and URL hints; a CLI should not show them."""
    import logging

    saved = os.environ.get("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT")
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    for name in ("alembic", "mlflow.store.db.utils"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", None)
        else:
            os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = saved


@contextmanager
def _first_use_lock(uri: str) -> Iterator[None]:
    """Concurrent first uses of one sqlite file would race to create its tables."""
    if not uri.startswith("sqlite:///"):
        yield
        return
    import fcntl

    database = Path(uri.removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(database.parent / f".{database.name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


def _write_ahead_log(uri: str) -> None:
    """Put an embedded sqlite store in WAL mode (kept in the file): readers no longer block
    the writer, so `--jobs 8` repeats and two terminals running at once do not meet
    "database is locked" (pysqlite also waits up to 5 s for a lock before giving up)."""
    if not uri.startswith("sqlite:///"):
        return
    import sqlite3

    database = uri.removeprefix("sqlite:///")
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            connection.execute("PRAGMA journal_mode=WAL")


@contextmanager
def fluent_run(tracking_uri: str, experiment_id: str, run_id: str) -> Iterator[Any]:
    """Make `run_id` MLflow's active run in this process, so `mlflow.log_*` lands in it."""
    import mlflow

    require_no_active_run()
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        mlflow.start_run(run_id=run_id, experiment_id=experiment_id)
        try:
            yield mlflow.active_run()
        finally:
            mlflow.end_run()  # rflow sets the real status right after
    finally:
        mlflow.set_tracking_uri(previous)


def require_no_active_run() -> None:
    import mlflow

    active = mlflow.active_run()
    if active is not None:
        raise UserError(
            f"an MLflow run ({active.info.run_id}) is already active: "
            "call mlflow.end_run() before researchflow.run()"
        )
