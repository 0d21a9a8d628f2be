"""The MLflow store: the only module that imports mlflow, and only inside functions.

Two ways in. A tracking server (http/https) is spoken to through MLflow's documented REST
API with the standard library, because `import mlflow` alone takes about 2.5 s (its package
`__init__` pulls in pandas, fastapi and the genai stack) and `rflow run -- true` must stay
cheap. Every other store (the embedded sqlite file, a file store, Databricks) goes through
`mlflow.MlflowClient`.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from researchflow.base.errors import ServiceUnavailable, UserError

HEALTH_TIMEOUT = 3.0  # seconds: a server that cannot answer /health by then is down
REQUEST_TIMEOUT = 30.0
BATCH = 100  # MLflow's log-batch limit per kind
SEARCH_CHUNK = 500  # run ids per `IN (...)` filter; one query for any realistic hypothesis


@dataclass(frozen=True)
class StoreRun:
    run_id: str
    experiment_id: str
    status: str
    start_time_ms: int | None
    end_time_ms: int | None
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metric_times: dict[str, int] = field(default_factory=dict)  # key → ms the value was logged
    deleted: bool = False  # deleted in the store (still there until garbage-collected)


class Store(Protocol):
    uri: str

    def check(self) -> None: ...
    def experiment_id(self, name: str) -> str: ...
    def create_run(self, experiment_id: str, tags: Mapping[str, str], start_ms: int) -> str: ...
    def log(self, run_id: str, params: Mapping[str, str], tags: Mapping[str, str]) -> None: ...
    def log_metrics(self, run_id: str, metrics: Mapping[str, float]) -> None: ...
    def log_artifacts(self, run_id: str, files: list[tuple[Path, str]]) -> None: ...
    def finish_run(self, run_id: str, status: str, end_ms: int) -> None: ...
    def get_run(self, run_id: str) -> StoreRun | None: ...
    def set_tag(self, run_id: str, key: str, value: str) -> None: ...
    def search(self, run_ids: list[str]) -> dict[str, StoreRun]: ...
    def search_tagged(self, key: str, value: str) -> dict[str, StoreRun]: ...
    def children(self, experiment_id: str, run_id: str) -> list[str]: ...


def is_server(tracking_uri: str) -> bool:
    return tracking_uri.startswith(("http://", "https://"))


def open_store(tracking_uri: str) -> Store:
    return RestStore(tracking_uri) if is_server(tracking_uri) else LibraryStore(tracking_uri)


def fetch_runs(
    tracking_uri: str, run_ids: Iterable[str], hypothesis: str | None = None
) -> dict[str, StoreRun]:
    """The runs the store holds among `run_ids`, in one batched search; missing ids absent.

    With `hypothesis`, every run tagged with it comes too (one search by the tag); ids
    listed but not tagged with it are looked up by id in a second search only when there
    are any.
    """
    store = open_store(tracking_uri)
    store.check()
    wanted = sorted(set(run_ids))
    if hypothesis is None:
        return store.search(wanted)
    found = store.search_tagged(HYPOTHESIS_TAG, hypothesis)
    stray = [run_id for run_id in wanted if run_id not in found]
    if stray:
        found.update(store.search(stray))
    return found


HYPOTHESIS_TAG = "rflow.hypothesis"


def health(tracking_uri: str) -> str | None:
    """None when the server's /health answers, else why not: the same TLS
    (MLFLOW_TRACKING_INSECURE_TLS, MLFLOW_TRACKING_SERVER_CERT_PATH) and credential
    settings as every other request to the store (`rflow doctor`)."""
    url = tracking_uri.rstrip("/") + "/health"
    request = urllib.request.Request(url, headers=_headers())
    try:
        with urllib.request.urlopen(
            request, timeout=HEALTH_TIMEOUT, context=_ssl_context()
        ) as response:
            response.read()
            return None
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            return f"HTTP {error.code}: credentials refused (MLFLOW_TRACKING_TOKEN or _USERNAME)"
        return f"HTTP {error.code} from /health"
    except urllib.error.URLError as error:
        return str(error.reason)
    except (TimeoutError, OSError) as error:
        return str(error) or type(error).__name__


def ui_url(tracking_uri: str, experiment_id: str, run_id: str) -> str | None:
    """The run's page in the MLflow UI; None for stores without a UI (sqlite, file)."""
    if not is_server(tracking_uri):
        return None
    return f"{tracking_uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def _tag_filter(key: str, value: str) -> str:
    return f"tags.`{key}` = '" + value.replace("'", "") + "'"


def _run_filter(run_ids: list[str]) -> str:
    quoted = ", ".join("'" + run_id.replace("'", "") + "'" for run_id in run_ids)
    return f"attributes.run_id IN ({quoted})"


def _child_filter(run_id: str) -> str:
    return "tags.mlflow.parentRunId = '" + run_id.replace("'", "") + "'"


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- a tracking server, through the REST API ------------------------------------------


class RestStore:
    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/")
        self._context = _ssl_context()

    def _request(
        self,
        method: str,
        endpoint: str,
        body: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        url = f"{self.uri}/api/2.0/mlflow/{endpoint}"
        data = None
        if method == "GET" and body:
            url += "?" + urllib.parse.urlencode(body)
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method, headers=_headers())
        try:
            with urllib.request.urlopen(
                request, timeout=timeout or REQUEST_TIMEOUT, context=self._context
            ) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as error:
            raise _store_error(self.uri, error) from None
        except (urllib.error.URLError, OSError) as error:
            raise self._down(error) from None

    def _down(self, error: BaseException) -> ServiceUnavailable:
        reason = getattr(error, "reason", error)
        return ServiceUnavailable(
            f"MLflow tracking server {self.uri} is not reachable ({reason}); "
            "start it, or point MLFLOW_TRACKING_URI / mlflow.tracking_uri at a running one"
        )

    def check(self) -> None:
        request = urllib.request.Request(f"{self.uri}/health", headers=_headers())
        try:
            with urllib.request.urlopen(
                request, timeout=HEALTH_TIMEOUT, context=self._context
            ) as response:
                response.read()
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                raise UserError(
                    f"MLflow tracking server {self.uri} refused the credentials "
                    "(set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD)"
                ) from None
            if error.code >= 500:
                raise self._down(error) from None
        except (urllib.error.URLError, OSError) as error:
            raise self._down(error) from None

    def experiment_id(self, name: str) -> str:
        for _attempt in range(3):  # two runs creating the experiment at once: one wins
            try:
                found = self._request("GET", "experiments/get-by-name", {"experiment_name": name})
                return str(found["experiment"]["experiment_id"])
            except StoreError as error:
                if error.code != "RESOURCE_DOES_NOT_EXIST":
                    raise
            try:
                return str(
                    self._request("POST", "experiments/create", {"name": name})["experiment_id"]
                )
            except StoreError as error:
                if error.code != "RESOURCE_ALREADY_EXISTS":
                    raise
        raise StoreError("INTERNAL_ERROR", f"could not create the MLflow experiment {name!r}")

    def create_run(self, experiment_id: str, tags: Mapping[str, str], start_ms: int) -> str:
        body = {
            "experiment_id": experiment_id,
            "start_time": start_ms,
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        }
        return str(self._request("POST", "runs/create", body)["run"]["info"]["run_id"])

    def log(self, run_id: str, params: Mapping[str, str], tags: Mapping[str, str]) -> None:
        items = [("params", k, v) for k, v in params.items()]
        items += [("tags", k, v) for k, v in tags.items()]
        for chunk in _chunks(items, BATCH):
            body: dict[str, Any] = {"run_id": run_id, "params": [], "tags": []}
            for kind, key, value in chunk:
                body[kind].append({"key": key, "value": value})
            self._request("POST", "runs/log-batch", body)

    def log_metrics(self, run_id: str, metrics: Mapping[str, float]) -> None:
        stamp = now_ms()
        items = [{"key": k, "value": v, "timestamp": stamp, "step": 0} for k, v in metrics.items()]
        for chunk in _chunks(items, BATCH):
            self._request("POST", "runs/log-batch", {"run_id": run_id, "metrics": chunk})

    def log_artifacts(self, run_id: str, files: list[tuple[Path, str]]) -> None:
        """Through the server's artifact proxy (`mlflow-artifacts:`); other artifact stores
        (S3, a shared folder) through the MLflow library."""
        info = self._request("GET", "runs/get", {"run_id": run_id})["run"]["info"]
        root = str(info.get("artifact_uri") or "")
        if not root.startswith("mlflow-artifacts:"):
            LibraryStore(self.uri).log_artifacts(run_id, files)
            return
        base = root.removeprefix("mlflow-artifacts:").lstrip("/")
        if "://" in root:  # mlflow-artifacts://host:port/path
            base = urllib.parse.urlparse(root).path.lstrip("/")
        for path, folder in files:
            name = "/".join(part for part in (base, folder, path.name) if part)
            url = f"{self.uri}/api/2.0/mlflow-artifacts/artifacts/{urllib.parse.quote(name)}"
            headers = {**_headers(), "Content-Type": "application/octet-stream"}
            request = urllib.request.Request(
                url, data=path.read_bytes(), method="PUT", headers=headers
            )
            try:
                with urllib.request.urlopen(
                    request, timeout=REQUEST_TIMEOUT, context=self._context
                ) as response:
                    response.read()
            except urllib.error.HTTPError as error:
                raise _store_error(self.uri, error) from None
            except (urllib.error.URLError, OSError) as error:
                raise self._down(error) from None

    def finish_run(self, run_id: str, status: str, end_ms: int) -> None:
        self._request(
            "POST", "runs/update", {"run_id": run_id, "status": status, "end_time": end_ms}
        )

    def get_run(self, run_id: str) -> StoreRun | None:
        try:
            return _from_json(self._request("GET", "runs/get", {"run_id": run_id})["run"])
        except StoreError as error:
            if error.code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self._request("POST", "runs/set-tag", {"run_id": run_id, "key": key, "value": value})

    def search(self, run_ids: list[str]) -> dict[str, StoreRun]:
        if not run_ids:
            return {}
        experiments = self._paged("experiments/search", {"view_type": "ALL"}, "experiments")
        experiment_ids = [str(e["experiment_id"]) for e in experiments]
        found: dict[str, StoreRun] = {}
        for chunk in _chunks(run_ids, SEARCH_CHUNK):
            body = {"experiment_ids": experiment_ids, "filter": _run_filter(chunk)}
            for item in self._paged("runs/search", body, "runs"):
                run = _from_json(item)
                found[run.run_id] = run
        return found

    def search_tagged(self, key: str, value: str) -> dict[str, StoreRun]:
        experiments = self._paged("experiments/search", {"view_type": "ALL"}, "experiments")
        experiment_ids = [str(e["experiment_id"]) for e in experiments]
        body = {
            "experiment_ids": experiment_ids,
            "filter": _tag_filter(key, value),
            "run_view_type": "ALL",  # a deleted run was still tried
        }
        runs = (_from_json(item) for item in self._paged("runs/search", body, "runs"))
        return {run.run_id: run for run in runs}

    def children(self, experiment_id: str, run_id: str) -> list[str]:
        body = {"experiment_ids": [experiment_id], "filter": _child_filter(run_id)}
        return [_from_json(item).run_id for item in self._paged("runs/search", body, "runs")]

    def _paged(self, endpoint: str, body: dict[str, Any], key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = None
        while True:
            page = self._request(
                "POST", endpoint, {**body, "max_results": 1000, "page_token": token}
            )
            items.extend(page.get(key, []))
            token = page.get("next_page_token")
            if not token:
                return items


class StoreError(UserError):
    """The store answered with an error (bad id, invalid value…)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"MLflow: {code}: {message}")


def _store_error(uri: str, error: urllib.error.HTTPError) -> RflowErrorType:
    try:
        payload = json.loads(error.read() or b"{}")
    except ValueError:
        payload = {}
    if error.code in (401, 403):
        return UserError(
            f"MLflow tracking server {uri} refused the credentials "
            "(set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD)"
        )
    if error.code >= 500 and "error_code" not in payload:
        return ServiceUnavailable(f"MLflow tracking server {uri} failed: HTTP {error.code}")
    code = str(payload.get("error_code") or f"HTTP_{error.code}")
    return StoreError(code, str(payload.get("message") or error.reason))


RflowErrorType = UserError | ServiceUnavailable


def _headers() -> dict[str, str]:
    headers = {"Content-Type": "application/json", "User-Agent": "researchflow"}
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif user:
        secret = f"{user}:{os.environ.get('MLFLOW_TRACKING_PASSWORD', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(secret).decode("ascii")
    return headers


def _ssl_context() -> ssl.SSLContext | None:
    if os.environ.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() == "true":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cert = os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH")
    return ssl.create_default_context(cafile=cert) if cert else None


def _from_json(run: dict[str, Any]) -> StoreRun:
    info = run.get("info", {})
    data = run.get("data", {})
    return StoreRun(
        run_id=str(info.get("run_id") or info.get("run_uuid")),
        experiment_id=str(info.get("experiment_id")),
        status=str(info.get("status", "")),
        start_time_ms=_int(info.get("start_time")),
        end_time_ms=_int(info.get("end_time")),
        tags={t["key"]: str(t.get("value", "")) for t in data.get("tags", [])},
        metrics={m["key"]: float(m["value"]) for m in data.get("metrics", [])},
        params={p["key"]: str(p.get("value", "")) for p in data.get("params", [])},
        metric_times={
            m["key"]: int(m["timestamp"]) for m in data.get("metrics", []) if m.get("timestamp")
        },
        deleted=info.get("lifecycle_stage") == "deleted",
    )


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


# --- any other store, through the MLflow library --------------------------------------


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
            raise StoreError(code, str(error.message).splitlines()[0]) from None

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
            for chunk in _chunks(items, BATCH):
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

        stamp = now_ms()
        with self._calls():
            items = [Metric(k, v, stamp, 0) for k, v in metrics.items()]
            for chunk in _chunks(items, BATCH):
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

    def get_run(self, run_id: str) -> StoreRun | None:
        from mlflow.exceptions import MlflowException

        try:
            return _from_entity(self.client.get_run(run_id))
        except MlflowException:
            return None

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        with self._calls():
            self.client.set_tag(run_id, key, value)

    def search(self, run_ids: list[str]) -> dict[str, StoreRun]:
        if not run_ids:
            return {}
        from mlflow.entities import ViewType

        with self._calls():
            experiments = self.client.search_experiments(view_type=ViewType.ALL)
            ids = [e.experiment_id for e in experiments]
            found: dict[str, StoreRun] = {}
            for chunk in _chunks(run_ids, SEARCH_CHUNK):
                token = None
                while True:
                    page = self.client.search_runs(
                        ids, filter_string=_run_filter(chunk), max_results=1000, page_token=token
                    )
                    for run in page:
                        found[run.info.run_id] = _from_entity(run)
                    token = page.token
                    if not token:
                        break
            return found

    def search_tagged(self, key: str, value: str) -> dict[str, StoreRun]:
        from mlflow.entities import ViewType

        with self._calls():
            experiments = self.client.search_experiments(view_type=ViewType.ALL)
            ids = [e.experiment_id for e in experiments]
            found: dict[str, StoreRun] = {}
            token = None
            while True:
                page = self.client.search_runs(
                    ids,
                    filter_string=_tag_filter(key, value),
                    run_view_type=ViewType.ALL,  # a deleted run was still tried
                    max_results=1000,
                    page_token=token,
                )
                for run in page:
                    found[run.info.run_id] = _from_entity(run)
                token = page.token
                if not token:
                    return found


def _library_children(store: LibraryStore, experiment_id: str, run_id: str) -> list[str]:
    with store._calls():
        runs = store.client.search_runs([experiment_id], filter_string=_child_filter(run_id))
        return [run.info.run_id for run in runs]


def _from_entity(run: Any) -> StoreRun:
    return StoreRun(
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


def now_ms() -> int:
    return int(time.time() * 1000)


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
