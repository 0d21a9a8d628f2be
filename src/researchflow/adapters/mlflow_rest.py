"""A tracking server through MLflow's documented REST API, with the standard library only:
`import mlflow` alone takes about 2 s (its package `__init__` pulls in pandas, fastapi and
the genai stack) and `rflow run -- true` must stay cheap. Used for http(s) stores and for
the embedded store's own server (adapters/tracking_server.py).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from researchflow.adapters import mlflow_store
from researchflow.base.errors import ServiceUnavailable, UserError

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class RestStore:
    """`url` is where requests go; `uri` names the store in messages and runs.yaml (the
    embedded store's sqlite URI when its own server serves it). New experiments get
    `artifact_location` when given (the embedded store's folder, as the library sets it)."""

    def __init__(self, url: str, *, uri: str = "", artifact_location: str = "") -> None:
        self.url = url.rstrip("/")
        self.uri = uri or self.url
        self.artifact_location = artifact_location
        self._context = tls_context()
        # the embedded store's own server is on this machine: never through a proxy
        self._direct = self.url.startswith("http://127.0.0.1:")

    def _open(self, request: urllib.request.Request, timeout: float) -> Any:
        if self._direct:
            return DIRECT.open(request, timeout=timeout)
        return urllib.request.urlopen(request, timeout=timeout, context=self._context)

    def _request(
        self,
        method: str,
        endpoint: str,
        body: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        url = f"{self.url}/api/2.0/mlflow/{endpoint}"
        data = None
        if method == "GET" and body:
            url += "?" + urllib.parse.urlencode(body)
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method, headers=request_headers())
        try:
            with self._open(request, timeout or mlflow_store.REQUEST_TIMEOUT) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as error:
            raise _store_error(self.url, error) from None
        except (urllib.error.URLError, OSError) as error:
            raise self._down(error) from None

    def _down(self, error: BaseException) -> ServiceUnavailable:
        reason = getattr(error, "reason", error)
        if self.uri != self.url:  # the embedded store's own server (tracking_server)
            return ServiceUnavailable(
                f"the tracking server of {self.uri} ({self.url}) stopped answering ({reason}); "
                "run the command again to start a new one, or set RFLOW_NO_SERVER=1"
            )
        return ServiceUnavailable(
            f"MLflow tracking server {self.url} is not reachable ({reason}); "
            "start it, or point MLFLOW_TRACKING_URI / mlflow.tracking_uri at a running one"
        )

    def check(self) -> None:
        request = urllib.request.Request(f"{self.url}/health", headers=request_headers())
        try:
            with self._open(request, mlflow_store.HEALTH_TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                raise UserError(
                    f"MLflow tracking server {self.url} refused the credentials "
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
            except mlflow_store.StoreError as error:
                if error.code != "RESOURCE_DOES_NOT_EXIST":
                    raise
            try:
                body = {"name": name}
                if self.artifact_location:
                    body["artifact_location"] = self.artifact_location
                return str(self._request("POST", "experiments/create", body)["experiment_id"])
            except mlflow_store.StoreError as error:
                if error.code != "RESOURCE_ALREADY_EXISTS":
                    raise
        raise mlflow_store.StoreError(
            "INTERNAL_ERROR", f"could not create the MLflow experiment {name!r}"
        )

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
        for chunk in mlflow_store._chunks(items, mlflow_store.BATCH):
            body: dict[str, Any] = {"run_id": run_id, "params": [], "tags": []}
            for kind, key, value in chunk:
                body[kind].append({"key": key, "value": value})
            self._request("POST", "runs/log-batch", body)

    def log_metrics(self, run_id: str, metrics: Mapping[str, float]) -> None:
        stamp = mlflow_store.now_ms()
        items = [{"key": k, "value": v, "timestamp": stamp, "step": 0} for k, v in metrics.items()]
        for chunk in mlflow_store._chunks(items, mlflow_store.BATCH):
            self._request("POST", "runs/log-batch", {"run_id": run_id, "metrics": chunk})

    def log_artifacts(self, run_id: str, files: list[tuple[Path, str]]) -> None:
        """Through the server's artifact proxy (`mlflow-artifacts:`); into a local folder
        (`file:`, the embedded store's) by copying, as MLflow's client does; other artifact
        stores (S3…) through the MLflow library."""
        info = self._request("GET", "runs/get", {"run_id": run_id})["run"]["info"]
        root = str(info.get("artifact_uri") or "")
        if root.startswith("file:") or root.startswith("/"):
            _copy_artifacts(root, files)
            return
        if not root.startswith("mlflow-artifacts:"):
            from researchflow.adapters.mlflow_library import LibraryStore

            LibraryStore(self.url).log_artifacts(run_id, files)
            return
        base = root.removeprefix("mlflow-artifacts:").lstrip("/")
        if "://" in root:  # mlflow-artifacts://host:port/path
            base = urllib.parse.urlparse(root).path.lstrip("/")
        for path, folder in files:
            name = "/".join(part for part in (base, folder, path.name) if part)
            url = f"{self.url}/api/2.0/mlflow-artifacts/artifacts/{urllib.parse.quote(name)}"
            headers = {**request_headers(), "Content-Type": "application/octet-stream"}
            request = urllib.request.Request(
                url, data=path.read_bytes(), method="PUT", headers=headers
            )
            try:
                with self._open(request, mlflow_store.REQUEST_TIMEOUT) as response:
                    response.read()
            except urllib.error.HTTPError as error:
                raise _store_error(self.url, error) from None
            except (urllib.error.URLError, OSError) as error:
                raise self._down(error) from None

    def finish_run(self, run_id: str, status: str, end_ms: int) -> None:
        self._request(
            "POST", "runs/update", {"run_id": run_id, "status": status, "end_time": end_ms}
        )

    def get_run(self, run_id: str) -> mlflow_store.StoreRun | None:
        try:
            return _from_json(self._request("GET", "runs/get", {"run_id": run_id})["run"])
        except mlflow_store.StoreError as error:
            if error.code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self._request("POST", "runs/set-tag", {"run_id": run_id, "key": key, "value": value})

    def search(self, run_ids: list[str]) -> dict[str, mlflow_store.StoreRun]:
        if not run_ids:
            return {}
        experiments = self._paged("experiments/search", {"view_type": "ALL"}, "experiments")
        experiment_ids = [str(e["experiment_id"]) for e in experiments]
        found: dict[str, mlflow_store.StoreRun] = {}
        for chunk in mlflow_store._chunks(run_ids, mlflow_store.SEARCH_CHUNK):
            body = {"experiment_ids": experiment_ids, "filter": mlflow_store._run_filter(chunk)}
            for item in self._paged("runs/search", body, "runs"):
                run = _from_json(item)
                found[run.run_id] = run
        return found

    def search_tagged(self, key: str, value: str) -> dict[str, mlflow_store.StoreRun]:
        experiments = self._paged("experiments/search", {"view_type": "ALL"}, "experiments")
        experiment_ids = [str(e["experiment_id"]) for e in experiments]
        body = {
            "experiment_ids": experiment_ids,
            "filter": mlflow_store._tag_filter(key, value),
            "run_view_type": "ALL",  # a deleted run was still tried
        }
        runs = (_from_json(item) for item in self._paged("runs/search", body, "runs"))
        return {run.run_id: run for run in runs}

    def children(self, experiment_id: str, run_id: str) -> list[str]:
        body = {"experiment_ids": [experiment_id], "filter": mlflow_store._child_filter(run_id)}
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
    return mlflow_store.StoreError(code, str(payload.get("message") or error.reason))


RflowErrorType = UserError | ServiceUnavailable


def _copy_artifacts(root: str, files: list[tuple[Path, str]]) -> None:
    """Each file into `root`/folder, whole or not at all (a temporary name, then renamed)."""
    base = Path(urllib.request.url2pathname(urllib.parse.urlparse(root).path))
    for path, folder in files:
        target = base / folder if folder else base
        target.mkdir(parents=True, exist_ok=True)
        partial = target / f".{path.name}.partial"
        shutil.copy2(path, partial)
        os.replace(partial, target / path.name)


def request_headers() -> dict[str, str]:
    """JSON, and MLflow's credentials from the environment, as its own client sends them."""
    headers = {"Content-Type": "application/json", "User-Agent": "researchflow"}
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    elif user:
        secret = f"{user}:{os.environ.get('MLFLOW_TRACKING_PASSWORD', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(secret).decode("ascii")
    return headers


def tls_context() -> ssl.SSLContext | None:
    """MLflow's TLS settings (MLFLOW_TRACKING_INSECURE_TLS, _SERVER_CERT_PATH), or None."""
    if os.environ.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() == "true":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    cert = os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH")
    return ssl.create_default_context(cafile=cert) if cert else None


def _from_json(run: dict[str, Any]) -> mlflow_store.StoreRun:
    info = run.get("info", {})
    data = run.get("data", {})
    return mlflow_store.StoreRun(
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
