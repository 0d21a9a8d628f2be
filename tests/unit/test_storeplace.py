"""How runs.yaml names a store, and how a clone reaches it again."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from researchflow.base.errors import StoreAbsent
from researchflow.runs.storeplace import (
    recorded_store,
    require_runs_found,
    require_store,
    resolved_store,
    where_runs_live,
)

ROOT = Path("/home/alice/project")


@pytest.mark.parametrize(
    ("uri", "recorded"),
    [
        ("sqlite:////home/alice/project/.rflow/mlflow.db", "sqlite:///.rflow/mlflow.db"),
        ("sqlite:////home/alice/project/sub/x.db", "sqlite:///sub/x.db"),
        ("sqlite:////srv/shared/mlflow.db", "sqlite:////srv/shared/mlflow.db"),
        ("http://mlflow.example:5000", "http://mlflow.example:5000"),
        ("file:///tmp/mlruns", "file:///tmp/mlruns"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
    ],
)
def test_the_embedded_store_is_recorded_relative_to_the_root(uri: str, recorded: str) -> None:
    assert recorded_store(ROOT, uri) == recorded


@pytest.mark.parametrize(
    ("recorded", "resolved"),
    [
        ("sqlite:///.rflow/mlflow.db", "sqlite:////elsewhere/clone/.rflow/mlflow.db"),
        (
            "sqlite:////home/alice/project/.rflow/mlflow.db",
            "sqlite:////home/alice/project/.rflow/mlflow.db",
        ),
        ("https://mlflow.example", "https://mlflow.example"),
    ],
)
def test_a_recorded_store_resolves_against_the_clone(recorded: str, resolved: str) -> None:
    assert resolved_store(Path("/elsewhere/clone"), recorded) == resolved


def entry(run_id: str, uri: str) -> SimpleNamespace:
    return SimpleNamespace(run_id=run_id, tracking_uri=uri)


def test_old_absolute_entries_name_the_same_store_as_new_ones() -> None:
    old = entry("a", "sqlite:////home/alice/project/.rflow/mlflow.db")
    new = entry("b", "sqlite:///.rflow/mlflow.db")

    assert where_runs_live(ROOT, [old, new]) == "sqlite:///.rflow/mlflow.db"


def test_a_missing_embedded_store_is_one_error_and_nothing_is_created(tmp_path: Path) -> None:
    current = f"sqlite:///{tmp_path / '.rflow' / 'mlflow.db'}"
    runs = [entry("a", "sqlite:///.rflow/mlflow.db"), entry("b", "sqlite:///.rflow/mlflow.db")]

    with pytest.raises(StoreAbsent, match=r"the 2 runs of H-001 live in the MLflow store"):
        require_store(tmp_path, current, "H-001", runs)
    assert not (tmp_path / ".rflow").exists()


def test_no_runs_need_no_store(tmp_path: Path) -> None:
    require_store(tmp_path, f"sqlite:///{tmp_path / 'none.db'}", "H-001", [])


def test_runs_made_on_a_server_name_the_server_to_use(tmp_path: Path) -> None:
    current = f"sqlite:///{tmp_path / '.rflow' / 'mlflow.db'}"
    runs = [entry("a", "http://mlflow.team:5000")]

    with pytest.raises(StoreAbsent, match=r"MLFLOW_TRACKING_URI=http://mlflow.team:5000"):
        require_runs_found(tmp_path, current, "H-001", runs, {})


def test_runs_missing_from_their_own_server_are_a_check_failure_not_a_wrong_store() -> None:
    runs = [entry("a", "http://mlflow.team:5000")]

    require_runs_found(ROOT, "http://mlflow.team:5000", "H-001", runs, {})  # no StoreAbsent


def test_some_runs_found_is_left_to_the_check() -> None:
    runs = [entry("a", "sqlite:///.rflow/mlflow.db"), entry("b", "sqlite:///.rflow/mlflow.db")]

    require_runs_found(ROOT, "sqlite:////home/alice/project/.rflow/mlflow.db", "H", runs, {"a": 1})


def test_a_store_that_tags_runs_of_the_hypothesis_is_its_store() -> None:
    # runs.yaml names an invented run; the store holds the real, unlisted one: tampering,
    # which the check names run by run, not a missing store
    runs = [entry("invented", "sqlite:///.rflow/mlflow.db")]

    require_runs_found(
        ROOT, "sqlite:////home/alice/project/.rflow/mlflow.db", "H", runs, {"real": 1}
    )
