"""The embedded store through the repository's own tracking server: the same runs as the
library writes, one server reused by every rflow process, gone when idle, and the library
when it cannot start."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from fixtures.tracking_server import alive, server_state, wait_until
from support.git import git

from researchflow.documents.runlog import read_runs

RUNS = Path("research/H-001-demo/runs.yaml")
LOGS = "import mlflow\nmlflow.log_metric('accuracy', 0.5)\nmlflow.log_param('seed', '7')\n"


def library_run(root: Path, run_id: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=f"sqlite:///{root / '.rflow' / 'mlflow.db'}").get_run(run_id)


def test_runs_go_through_one_reused_server_and_read_back_with_the_sqlite_uri(
    served_repo, rflow_process
) -> None:
    first = rflow_process("run", "H-001", "--", sys.executable, "-c", LOGS)
    server = server_state(served_repo)
    (served_repo / "notes.txt").write_text("scratch\n", encoding="utf-8")  # dirt: a patch
    second = rflow_process("run", "H-001", "--allow-dirty", "--", sys.executable, "-c", LOGS)

    assert first.code == 0 and second.code == 0, first.stderr + second.stderr
    assert server["url"].startswith("http://127.0.0.1:")
    assert server_state(served_repo) == server  # the second run reused the first's server
    entries = read_runs(served_repo / RUNS).runs
    assert [e.tracking_uri for e in entries] == ["sqlite:///.rflow/mlflow.db"] * 2
    assert [e.metrics for e in entries] == [{"accuracy": 0.5}] * 2  # the child's own logging
    stored = library_run(served_repo, entries[1].run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.tags["rflow.hypothesis"] == "H-001"
    assert stored.data.params == {"seed": "7"}
    artifacts = served_repo / ".rflow" / "artifacts"
    assert stored.info.artifact_uri == f"{artifacts.as_uri()}/{entries[1].run_id}/artifacts"
    patch = artifacts / entries[1].run_id / "artifacts" / "rflow" / "dirty.patch"
    assert "notes.txt" in patch.read_text(encoding="utf-8")
    # nothing of the server's in the working tree (no ./mlruns, no ./mlartifacts)
    assert set(git(served_repo, "status", "--porcelain").splitlines()) == {
        "?? notes.txt",
        f"?? {RUNS.as_posix()}",
    }


def test_sixteen_runs_at_once_share_one_server_and_lose_nothing(served_repo) -> None:
    import subprocess

    argv = [sys.executable, "-m", "researchflow", "run", "H-001", "--", sys.executable, "-c", LOGS]
    processes = [
        subprocess.Popen(
            argv,
            cwd=served_repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(16)
    ]
    failures = [p.communicate(timeout=600)[1] for p in processes if p.wait(timeout=600) != 0]

    assert not failures, failures
    entries = read_runs(served_repo / RUNS).runs
    assert len({e.run_id for e in entries}) == 16
    assert all(e.status == "FINISHED" and e.metrics == {"accuracy": 0.5} for e in entries)
    with sqlite3.connect(served_repo / ".rflow" / "mlflow.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finished = connection.execute("SELECT COUNT(*) FROM runs WHERE status = 'FINISHED'")
        assert finished.fetchone()[0] == 16
    assert server_state(served_repo)["url"]


def test_an_idle_server_stops_and_the_next_run_starts_another(
    served_repo, rflow_process, monkeypatch
) -> None:
    monkeypatch.setenv("RFLOW_SERVER_IDLE", "1")
    assert rflow_process("run", "H-001", "--", "true").code == 0
    first = server_state(served_repo)

    assert wait_until(lambda: not alive(first["pid"]) and not alive(first["server_pid"]))
    assert server_state(served_repo) == {}

    again = rflow_process("run", "H-001", "--", "true")
    assert again.code == 0, again.stderr
    assert server_state(served_repo)["pid"] != first["pid"]
    assert len(read_runs(served_repo / RUNS).runs) == 2


def test_a_server_that_cannot_start_says_so_once_and_the_library_records_the_run(
    served_repo, rflow_process
) -> None:
    (served_repo / ".rflow" / "mlflow.server.log").mkdir(parents=True)  # its log unwritable

    refused = rflow_process("run", "H-001", "--", "true")
    quiet = rflow_process("run", "H-001", "--", "true")

    assert refused.code == 0 and quiet.code == 0, refused.stderr + quiet.stderr
    said = [line for line in refused.stderr.splitlines() if "tracking server" in line]
    assert len(said) == 1 and "did not start" in said[0] and "RFLOW_NO_SERVER=1" in said[0]
    assert "Traceback" not in refused.stderr
    assert "tracking server" not in quiet.stderr  # not tried again for a while
    entries = read_runs(served_repo / RUNS).runs
    assert [library_run(served_repo, e.run_id).info.status for e in entries] == ["FINISHED"] * 2


def test_turned_off_the_store_is_opened_in_process(served_repo, rflow_process, monkeypatch) -> None:
    monkeypatch.setenv("RFLOW_NO_SERVER", "1")

    outcome = rflow_process("run", "H-001", "--", "true")

    assert outcome.code == 0, outcome.stderr
    assert not (served_repo / ".rflow" / "mlflow.server.json").exists()
    assert os.path.exists(served_repo / ".rflow" / "mlflow.db")
