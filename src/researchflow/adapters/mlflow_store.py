"""What every MLflow store rflow speaks to shares: the run as rflow reads it back
(`StoreRun`), the `Store` protocol both implementations satisfy, the store's errors, the
limits of one request, and the search filters. Imports nothing heavy."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from researchflow.base.errors import UserError
from researchflow.base.frozen import field, frozen

HEALTH_TIMEOUT = 3.0  # seconds: a server that cannot answer /health by then is down
REQUEST_TIMEOUT = 30.0
BATCH = 100  # MLflow's log-batch limit per kind
SEARCH_CHUNK = 500  # run ids per `IN (...)` filter; one query for any realistic hypothesis


@frozen
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


class StoreError(UserError):
    """The store answered with an error (bad id, invalid value…)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"MLflow: {code}: {message}")


# --- any other store, through the MLflow library --------------------------------------


def now_ms() -> int:
    return int(time.time() * 1000)
