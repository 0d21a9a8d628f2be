"""`rflow run` against a real MLflow tracking server and the embedded sqlite store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.git import git

from researchflow.documents.runlog import read_runs

RUNS = Path("research/H-001-demo/runs.yaml")
LOGS_ACCURACY = (
    "import mlflow\n"
    "with mlflow.start_run():\n"
    "    mlflow.log_metric('accuracy', 0.91)\n"
    "    mlflow.log_metric('loss', 0.2)\n"
)


@pytest.fixture
def server(mlflow_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    return mlflow_server


def store_run(uri: str, run_id: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri).get_run(run_id)


def only_entry(root: Path):
    entries = read_runs(root / RUNS).runs
    assert len(entries) == 1, entries
    return entries[0]


def test_run_is_tagged_and_the_childs_own_metrics_land_in_it(runs_repo, server, rflow) -> None:
    (runs_repo / "params.yaml").write_text("train:\n  lr: 0.1\nseed: 7\n", encoding="utf-8")
    git(runs_repo, "add", "params.yaml")
    git(runs_repo, "commit", "-q", "-m", "params")
    head = git(runs_repo, "rev-parse", "HEAD").strip()

    outcome = rflow("run", "H-001", "--", sys.executable, "-c", LOGS_ACCURACY)

    assert outcome.code == 0, outcome.stderr
    entry = only_entry(runs_repo)
    run = store_run(server, entry.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["rflow.hypothesis"] == "H-001"
    assert run.data.tags["mlflow.source.git.commit"] == head
    assert run.data.tags["mlflow.source.git.branch"] == "main"
    assert run.data.tags["rflow.git.dirty"] == "false"
    assert run.data.tags["rflow.command"].startswith(f"{sys.executable} -c ")
    assert run.data.params == {"train.lr": "0.1", "seed": "7"}
    assert run.data.metrics["accuracy"] == 0.91
    # runs.yaml keeps the plan's predicted metric only, with the run's facts
    assert entry.metrics == {"accuracy": 0.91}
    assert (entry.commit, entry.branch, entry.dirty, entry.status) == (
        head,
        "main",
        False,
        "FINISHED",
    )
    assert entry.tracking_uri == server
    assert entry.command[0] == sys.executable
    assert entry.source == "run"


def test_failing_command_ends_the_run_failed_and_passes_its_status_on(
    runs_repo, server, rflow
) -> None:
    outcome = rflow("run", "H-001", "--", sys.executable, "-c", "raise SystemExit(7)")

    assert outcome.code == 7
    entry = only_entry(runs_repo)
    assert entry.status == "FAILED"
    assert store_run(server, entry.run_id).info.status == "FAILED"


def test_dirty_tree_is_refused_unless_allowed_and_then_marked(runs_repo, server, rflow) -> None:
    (runs_repo / "README.md").write_text("edited\n", encoding="utf-8")

    refused = rflow("run", "H-001", "--", "true")
    assert refused.code == 2
    assert "README.md" in refused.stderr and "--allow-dirty" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not (runs_repo / RUNS).exists()

    allowed = rflow("run", "--allow-dirty", "H-001", "--", "true")
    assert allowed.code == 0, allowed.stderr
    entry = only_entry(runs_repo)
    assert entry.dirty is True
    assert store_run(server, entry.run_id).data.tags["rflow.git.dirty"] == "true"


def test_runs_yaml_written_by_a_run_is_not_dirt_for_the_next(runs_repo, server, rflow) -> None:
    assert rflow("run", "H-001", "--", "true").code == 0
    second = rflow("run", "H-001", "--", "true")
    assert second.code == 0, second.stderr
    assert len(read_runs(runs_repo / RUNS).runs) == 2


def test_hypothesis_defaults_to_the_current_branch(runs_repo, server, rflow) -> None:
    git(runs_repo, "checkout", "-q", "-b", "hyp/H-001-demo")
    outcome = rflow("run", "--", "true")
    assert outcome.code == 0, outcome.stderr
    assert only_entry(runs_repo).branch == "hyp/H-001-demo"


def test_no_id_off_a_hypothesis_branch_is_a_usage_error(runs_repo, server, rflow) -> None:
    outcome = rflow("run", "--", "true")
    assert outcome.code == 2
    assert "not a hypothesis branch" in outcome.stderr


def test_unknown_hypothesis_names_the_missing_plan(runs_repo, server, rflow) -> None:
    outcome = rflow("run", "H-404", "--", "true")
    assert outcome.code == 2
    assert "research/H-404-*/plan.qmd" in outcome.stderr


def test_server_down_exits_3_without_starting_the_command_or_writing(
    runs_repo, rflow_process
) -> None:
    from fixtures.mlflow_server import free_port

    env = {**os.environ, "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{free_port()}"}
    marker = runs_repo / "started"
    code = f"open({str(marker)!r}, 'w').close()"

    outcome = rflow_process("run", "H-001", "--", sys.executable, "-c", code, env=env)

    assert outcome.code == 3
    assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr
    assert "not reachable" in outcome.stderr and "Traceback" not in outcome.stderr
    assert not marker.exists()
    assert git(runs_repo, "status", "--porcelain") == ""


def _sixteen_runs_at_once(runs_repo, env: dict[str, str]) -> None:
    """Sixteen `rflow run`s started together; each succeeds and runs.yaml lists all 16."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "researchflow", "run", "H-001", "--", "true"],
            cwd=runs_repo,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(16)
    ]
    failures = [p.communicate(timeout=600)[1] for p in processes if p.wait(timeout=600) != 0]
    assert not failures, failures
    entries = read_runs(runs_repo / RUNS).runs
    assert len({e.run_id for e in entries}) == 16
    assert all(e.status == "FINISHED" for e in entries)


def test_sixteen_concurrent_runs_lose_no_entry(runs_repo, server) -> None:
    _sixteen_runs_at_once(runs_repo, {**os.environ, "MLFLOW_TRACKING_URI": server})


def test_ctrl_c_reaches_the_command_and_the_run_ends_killed(runs_repo, server) -> None:
    ready = runs_repo / "ready"
    child = f"import pathlib, time\npathlib.Path({str(ready)!r}).write_text('x')\ntime.sleep(120)\n"
    rflow = subprocess.Popen(
        [sys.executable, "-m", "researchflow", "run", "H-001", "--", sys.executable, "-c", child],
        cwd=runs_repo,
        env={**os.environ, "MLFLOW_TRACKING_URI": server},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and rflow.poll() is None:
        time.sleep(0.1)
    assert ready.exists(), rflow.communicate()[1]

    rflow.send_signal(signal.SIGINT)
    rflow.communicate(timeout=60)

    assert rflow.returncode == 130  # what a shell reports after Ctrl-C, as the README says
    entry = only_entry(runs_repo)
    assert entry.status == "KILLED"
    assert store_run(server, entry.run_id).info.status == "KILLED"


def test_embedded_store_needs_no_server(runs_repo, rflow, monkeypatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    code = "import mlflow\nmlflow.log_metric('accuracy', 0.5)\n"

    outcome = rflow("run", "H-001", "--", sys.executable, "-c", code)

    assert outcome.code == 0, outcome.stderr
    entry = only_entry(runs_repo)
    assert entry.tracking_uri == "sqlite:///.rflow/mlflow.db"  # the same name in every clone
    database = runs_repo / ".rflow" / "mlflow.db"
    assert database.is_file()
    assert entry.metrics == {"accuracy": 0.5}
    assert store_run(f"sqlite:///{database}", entry.run_id).data.tags["rflow.hypothesis"] == "H-001"


def test_postgres_backed_server_records_the_run(
    runs_repo, mlflow_postgres_server, rflow, monkeypatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_postgres_server)

    outcome = rflow("run", "H-001", "--", "true")

    assert outcome.code == 0, outcome.stderr
    entry = only_entry(runs_repo)
    run = store_run(mlflow_postgres_server, entry.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["rflow.hypothesis"] == "H-001"


def test_git_tracked_data_is_recorded_by_blob_id_and_untracked_data_refused(
    runs_repo, rflow
) -> None:
    from fixtures.dvc_repo import write_plan

    (runs_repo / "labels.csv").write_text("id,label\n1,cat\n", encoding="utf-8")
    write_plan(runs_repo, data=["labels.csv"])
    git(runs_repo, "add", "-A")
    git(runs_repo, "commit", "-q", "-m", "labels in git")

    outcome = rflow("run", "H-001", "--", "true")

    assert outcome.code == 0, outcome.stderr
    [entry] = read_runs(runs_repo / RUNS).runs
    assert entry.data == {"labels.csv": git(runs_repo, "rev-parse", "HEAD:labels.csv").strip()}

    write_plan(runs_repo, data=["nowhere.csv"])
    git(runs_repo, "commit", "-q", "-am", "a path nobody tracks")
    refused = rflow("run", "H-001", "--", "true")
    assert refused.code == 2
    assert "data: nowhere.csv is tracked neither by DVC nor by git" in refused.stderr
    assert len(read_runs(runs_repo / RUNS).runs) == 1


def test_sixteen_concurrent_runs_on_the_embedded_store_never_see_a_locked_database(
    runs_repo,
) -> None:
    """No server: sixteen processes share .rflow/mlflow.db, kept in WAL mode."""
    import sqlite3

    _sixteen_runs_at_once(
        runs_repo, {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    )
    database = runs_repo / ".rflow" / "mlflow.db"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        stored = connection.execute("SELECT COUNT(*) FROM runs WHERE status = 'FINISHED'")
        assert stored.fetchone()[0] == 16
