"""The MLflow store: which way into it (REST, its own server, or the library), and what
rflow asks of it. Imports nothing heavy.

Two ways in. A tracking server (http/https) is spoken to through MLflow's documented REST
API with the standard library (`mlflow_rest.RestStore`), because `import mlflow` alone
takes about 2 s and `rflow run -- true` must stay cheap. The embedded sqlite file is served
the same way by a tracking server of its own, started on demand and reused
(`tracking_server`). Every other store (a file store, Databricks, the embedded file when
its server is turned off or cannot start) goes through `mlflow.MlflowClient`.
"""

from __future__ import annotations

from collections.abc import Iterable

from researchflow.adapters.mlflow_store import HEALTH_TIMEOUT, Store, StoreRun, is_server
from researchflow.base.names import HYPOTHESIS


def open_store(tracking_uri: str) -> Store:
    """The store at `tracking_uri`: the embedded sqlite file through its own tracking
    server when one runs or can start (`tracking_server`), else through the library."""
    from researchflow.adapters.mlflow_library import LibraryStore
    from researchflow.adapters.mlflow_rest import RestStore
    from researchflow.adapters.tracking_server import served_store

    if is_server(tracking_uri):
        return RestStore(tracking_uri)
    return served_store(tracking_uri) or LibraryStore(tracking_uri)


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
    found = store.search_tagged(HYPOTHESIS, hypothesis)
    stray = [run_id for run_id in wanted if run_id not in found]
    if stray:
        found.update(store.search(stray))
    return found


def health(tracking_uri: str) -> str | None:
    """None when the server's /health answers, else why not: the same TLS
    (MLFLOW_TRACKING_INSECURE_TLS, MLFLOW_TRACKING_SERVER_CERT_PATH) and credential
    settings as every other request to the store (`rflow doctor`)."""
    import urllib.error
    import urllib.request

    from researchflow.adapters.mlflow_rest import request_headers, tls_context

    url = tracking_uri.rstrip("/") + "/health"
    request = urllib.request.Request(url, headers=request_headers())
    try:
        with urllib.request.urlopen(
            request, timeout=HEALTH_TIMEOUT, context=tls_context()
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
