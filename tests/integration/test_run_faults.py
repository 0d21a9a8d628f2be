"""`rflow run` under faults (issue 11): nothing runs that rflow cannot record, the child
dies with rflow, and a run rflow lost is ended and recorded by the next `rflow run`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.mlflow_server import _stop, start_mlflow_server
from fixtures.plans import write_plan
from fixtures.small_disk import fill_bytes
from support.git import git

from researchflow.documents.runlog import read_runs

RUNS = Path("research/H-001-demo/runs.yaml")


def store_run(uri: str, run_id: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri).get_run(run_id)


def runs_in_store(uri: str) -> list:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    return [
        run
        for experiment in client.search_experiments()
        for run in client.search_runs([experiment.experiment_id])
    ]


def child_code(marker: Path, sleep: float = 0) -> str:
    """A command that writes its pid into `marker`, then sleeps."""
    return (
        f"import os, pathlib, time\npathlib.Path({str(marker)!r}).write_text(str(os.getpid()))\n"
        f"time.sleep({sleep})\n"
    )


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped by init, counts as gone)."""
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return state.returncode == 0 and not state.stdout.strip().startswith("Z")


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert path.exists(), process.communicate()[1]


@pytest.fixture
def server(mlflow_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    return mlflow_server


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    return lines[0]


# --- pre-flight: the record can be written, before anything starts --------------------------


def test_conflict_markers_in_runs_yaml_stop_the_run_before_the_child_starts(
    runs_repo: Path, server: str, rflow
) -> None:
    runs = runs_repo / RUNS
    runs.write_text("hypothesis: H-001\n<<<<<<< HEAD\nruns: []\n=======\nruns: []\n>>>>>>> x\n")
    marker = runs_repo.parent / "ran"
    before = len(runs_in_store(server))
    outcome = rflow("run", "H-001", "--allow-dirty", "--", sys.executable, "-c", child_code(marker))
    assert outcome.code == 2
    line = one_line(outcome.stderr)
    assert "runs.yaml:2: unresolved merge conflict markers" in line
    assert not marker.exists()
    assert len(runs_in_store(server)) == before  # no run was even created


def test_immutable_runs_yaml_stops_the_run_before_the_child_starts(
    runs_repo: Path, server: str, rflow
) -> None:
    runs = runs_repo / RUNS
    runs.write_text("hypothesis: H-001\nruns: []\n", encoding="utf-8")
    git(runs_repo, "add", "-A")
    git(runs_repo, "commit", "-q", "-m", "empty log")
    if subprocess.run(["chattr", "+i", str(runs)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    marker = runs_repo.parent / "ran"
    try:
        outcome = rflow("run", "H-001", "--", sys.executable, "-c", child_code(marker))
    finally:
        subprocess.run(["chattr", "-i", str(runs)], check=True)
    assert outcome.code == 2
    line = one_line(outcome.stderr)
    assert "runs.yaml: cannot be written (Operation not permitted)" in line
    assert "nothing was started" in line
    assert not marker.exists()


def test_full_disk_stops_the_run_before_the_child_starts(
    small_disk: Path, server: str, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = small_disk / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text(".rflow/\n", encoding="utf-8")
    write_plan(root, "H-001", "demo")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "plan")
    (small_disk / "fill").mkdir()
    monkeypatch.chdir(root)
    fill_bytes(small_disk, leave=16 * 1024)
    marker = small_disk.parent / "ran"
    outcome = rflow("run", "H-001", "--", sys.executable, "-c", child_code(marker))
    assert outcome.code == 2
    line = one_line(outcome.stderr)
    assert "the disk is full" in line and "rflow run" in line
    assert not marker.exists()
    assert not (root / RUNS).exists()


# --- the child dies with rflow ----------------------------------------------------------


def start_rflow(root: Path, uri: str, code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "researchflow", "run", "H-001", "--", sys.executable, "-c", code],
        cwd=root,
        env={**os.environ, "MLFLOW_TRACKING_URI": uri},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_kill_9_of_rflow_kills_the_child_and_the_next_run_ends_it_killed(
    runs_repo: Path, server: str, rflow
) -> None:
    marker = runs_repo.parent / "child.pid"
    before = {run.info.run_id for run in runs_in_store_for(server)}
    process = start_rflow(runs_repo, server, child_code(marker, sleep=120))
    wait_for(marker, process)
    child = int(marker.read_text())
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(child), "the child outlived rflow"
    (lost,) = [run for run in runs_in_store_for(server) if run.info.run_id not in before]
    assert lost.info.status == "RUNNING"  # nothing could end it: rflow was gone

    outcome = rflow("run", "H-001", "--", "true")
    assert outcome.code == 0, outcome.stderr
    assert f"run {lost.info.run_id} of H-001, lost by an earlier rflow, ended KILLED" in (
        outcome.stderr
    )
    assert store_run(server, lost.info.run_id).info.status == "KILLED"
    entries = {entry.run_id: entry for entry in read_runs(runs_repo / RUNS).runs}
    assert entries[lost.info.run_id].status == "KILLED"
    assert len(entries) == 2


def runs_in_store_for(uri: str, hypothesis: str = "H-001") -> list:
    return [
        run for run in runs_in_store(uri) if run.data.tags.get("rflow.hypothesis") == hypothesis
    ]


def test_sighup_ends_the_run_killed_like_sigterm(runs_repo: Path, server: str) -> None:
    marker = runs_repo.parent / "child.pid"
    process = start_rflow(runs_repo, server, child_code(marker, sleep=120))
    wait_for(marker, process)
    child = int(marker.read_text())
    process.send_signal(signal.SIGHUP)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert not alive(child)
    (entry,) = read_runs(runs_repo / RUNS).runs
    assert entry.status == "KILLED"
    assert store_run(server, entry.run_id).info.status == "KILLED"
    assert "Traceback" not in stderr


# --- the store or the record lost during the run ----------------------------------------------


def test_server_dying_mid_run_is_ended_failed_when_it_comes_back(
    runs_repo: Path, tmp_path: Path, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "server"
    folder.mkdir()
    backend = f"sqlite:///{folder / 'mlflow.db'}"
    url, server = start_mlflow_server(folder, backend)
    go_on = runs_repo.parent / "go-on"
    ready = runs_repo.parent / "ready"
    code = (
        f"import pathlib, time\npathlib.Path({str(ready)!r}).write_text('x')\n"
        f"while not pathlib.Path({str(go_on)!r}).exists(): time.sleep(0.05)\n"
    )
    try:
        process = start_rflow(runs_repo, url, code)
        wait_for(ready, process)
        _stop(server)  # the server dies while the command runs
        go_on.write_text("x")
        _, stderr = process.communicate(timeout=120)
    finally:
        _stop(server)
    assert process.returncode == 3, stderr
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("rflow: run ")]
    assert len(lines) == 1 and "not reachable" in lines[0], stderr
    assert not (runs_repo / RUNS).exists()

    url, server = start_mlflow_server(folder, backend)  # it comes back
    try:
        (lost,) = runs_in_store_for(url)
        assert lost.info.status == "RUNNING"
        monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
        outcome = rflow("run", "H-001", "--", "true")
        assert outcome.code == 0, outcome.stderr
        assert f"run {lost.info.run_id} of H-001, lost by an earlier rflow, ended FAILED" in (
            outcome.stderr
        )
        assert store_run(url, lost.info.run_id).info.status == "FAILED"
    finally:
        _stop(server)
    entries = {entry.run_id: entry.status for entry in read_runs(runs_repo / RUNS).runs}
    assert entries[lost.info.run_id] == "FAILED"


def test_a_record_that_cannot_be_written_afterwards_is_kept_and_recovered(
    runs_repo: Path, server: str, rflow
) -> None:
    runs = runs_repo / RUNS
    before = {run.info.run_id for run in runs_in_store_for(server)}
    # the command itself breaks runs.yaml (a bad merge while it ran)
    code = f"import pathlib\npathlib.Path({str(runs)!r}).write_text('<<<<<<< HEAD\\n')\n"
    outcome = rflow("run", "H-001", "--", sys.executable, "-c", code)
    assert outcome.code == 2
    line = next(line for line in outcome.stderr.splitlines() if "could not be recorded" in line)
    assert "unresolved merge conflict markers" in line
    assert ".rflow/pending/" in line and "rflow link H-001" in line
    (run,) = [run for run in runs_in_store_for(server) if run.info.run_id not in before]
    assert run.info.status == "FINISHED"  # the store has the truth

    runs.unlink()  # the user restores the file
    after = rflow("run", "H-001", "--", "true")
    assert after.code == 0, after.stderr
    statuses = {entry.run_id: entry.status for entry in read_runs(runs).runs}
    assert statuses[run.info.run_id] == "FINISHED" and len(statuses) == 2


# --- runs left RUNNING: named by check, closed by `rflow runs close` ----------------------------


def test_check_names_a_running_run_and_runs_close_ends_and_records_it(
    runs_repo: Path, server: str, rflow
) -> None:
    from researchflow.documents.runlog import RunEntry, append_run
    from researchflow.runs.pendingruns import left_behind

    marker = runs_repo.parent / "child.pid"
    before = {run.info.run_id for run in runs_in_store_for(server)}
    process = start_rflow(runs_repo, server, child_code(marker, sleep=120))
    wait_for(marker, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    (lost,) = [run for run in runs_in_store_for(server) if run.info.run_id not in before]
    run_id = lost.info.run_id
    # a runs.yaml that lists the run (committed on the machine that lost it)
    (note,) = left_behind(runs_repo / ".rflow")
    fields = {**note.entry, "command": tuple(note.entry["command"]), "status": "FINISHED"}
    append_run(runs_repo / RUNS, "H-001", RunEntry(**fields))

    checked = rflow("check", "H-001")
    problem = next(line for line in checked.stdout.splitlines() if run_id in line)
    assert "unfinished: still RUNNING in the store" in problem
    assert f"rflow runs close {run_id}" in problem

    closed = rflow("runs", "close", run_id)
    assert closed.code == 0, closed.stderr
    assert closed.stdout.strip().startswith(f"run {run_id} ended KILLED")
    assert store_run(server, run_id).info.status == "KILLED"
    assert not left_behind(runs_repo / ".rflow")
    again = rflow("runs", "close", run_id)
    assert again.code == 0 and "already ended KILLED" in again.stdout
    missing = rflow("runs", "close", "0" * 32)
    assert missing.code == 2 and "not in the store" in missing.stderr
