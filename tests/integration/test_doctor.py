"""`rflow doctor` against real git, DVC, pre-commit and a real MLflow tracking server."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.git import git

GITLAB_REMOTE = "git@gitlab.example.com:team/churn.git"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _uri_of(server: object) -> str:
    for name in ("uri", "url", "tracking_uri"):
        value = getattr(server, name, None)
        if isinstance(value, str):
            return value
    return str(server)


@pytest.fixture(scope="session")
def live_tracking_uri(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A running MLflow server: the suite's shared `mlflow_server` when there is one,
    else one started here (and stopped at the end of the session)."""
    try:
        yield _uri_of(request.getfixturevalue("mlflow_server"))
        return
    except pytest.FixtureLookupError:
        pass
    folder = tmp_path_factory.mktemp("mlflow-doctor")
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
            "--default-artifact-root", str(folder / "artifacts"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the workers it forks stop with it
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start: {(folder / 'server.log').read_text()}")
            time.sleep(0.25)
        yield uri
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture
def set_up_repo(repo: Path, rflow) -> Path:
    """A repository after `rflow init`, `pre-commit install` and with a GitLab origin."""
    outcome = rflow("init")
    assert outcome.code == 0, outcome.stderr
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=repo, check=True, capture_output=True
    )
    git(repo, "remote", "add", "origin", GITLAB_REMOTE)
    return repo


def doctor_json(rflow) -> tuple[int, dict[str, dict]]:
    outcome = rflow("doctor", "--json")
    data = json.loads(outcome.stdout)
    assert data["ok"] is (outcome.code == 0)
    return outcome.code, {check["name"]: check for check in data["checks"]}


def test_doctor_passes_in_a_set_up_repository(set_up_repo: Path, rflow) -> None:
    outcome = rflow("doctor")
    assert outcome.code == 0, outcome.stdout
    lines = outcome.stdout.splitlines()
    states = {line.split()[1]: line.split()[0] for line in lines if not line.startswith(" ")}
    assert states["git"] == "ok"
    assert states["dvc"] == "ok"
    assert states["mlflow"] == "ok"
    assert states["gitlab"] == "ok"
    assert states["pre-commit"] == "ok"
    assert lines[-1] == "all required checks passed"
    assert "https://gitlab.example.com, project team/churn" in outcome.stdout
    assert "sqlite:///" in outcome.stdout and "(the embedded store)" in outcome.stdout


@pytest.mark.skipif(shutil.which("quarto") is not None, reason="Quarto is installed here")
def test_missing_quarto_is_only_a_warning_with_how_to_install(set_up_repo: Path, rflow) -> None:
    code, checks = doctor_json(rflow)
    assert code == 0
    assert checks["quarto"]["state"] == "warn"
    assert "quarto.org" in checks["quarto"]["fix"]


@pytest.mark.skipif(shutil.which("quarto") is not None, reason="Quarto is installed here")
def test_missing_quarto_fails_when_the_config_requires_it(set_up_repo: Path, rflow) -> None:
    config = set_up_repo / "researchflow.yaml"
    config.write_text(config.read_text().replace("required: false", "required: true"))
    code, checks = doctor_json(rflow)
    assert code == 1
    assert checks["quarto"]["state"] == "fail"


def test_token_presence_is_shown_but_never_its_value(
    set_up_repo: Path, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-very-secret-value")
    text = rflow("doctor")
    as_json = rflow("doctor", "--json")
    assert "GITLAB_TOKEN is set" in text.stdout
    assert "glpat-very-secret-value" not in text.stdout + text.stderr
    assert "glpat-very-secret-value" not in as_json.stdout + as_json.stderr


def test_token_in_the_remote_url_is_not_shown(repo: Path, rflow) -> None:
    git(repo, "remote", "add", "origin", "https://oauth2:glpat-in-url@gitlab.example.com/a/b.git")
    outcome = rflow("doctor")
    assert "glpat-in-url" not in outcome.stdout
    assert "https://gitlab.example.com, project a/b" in outcome.stdout


def test_missing_git_hook_fails_with_its_fix(repo: Path, rflow) -> None:
    assert rflow("init", "--no-install-hook").code == 0
    code, checks = doctor_json(rflow)
    assert code == 1
    assert checks["pre-commit"]["state"] == "fail"
    assert checks["pre-commit"]["fix"] == "run `pre-commit install`"


def test_repository_without_dvc_fails_with_its_fix(repo: Path, rflow) -> None:
    assert rflow("init", "--no-dvc", "--no-install-hook").code == 0
    code, checks = doctor_json(rflow)
    assert code == 1
    assert checks["dvc"]["state"] == "fail"
    assert "dvc init" in checks["dvc"]["fix"]
    assert checks["pre-commit"]["fix"] == "run `pre-commit install`"


def test_no_gitlab_remote_is_a_warning_not_a_failure(set_up_repo: Path, rflow) -> None:
    git(set_up_repo, "remote", "remove", "origin")
    code, checks = doctor_json(rflow)
    assert code == 0
    assert checks["gitlab"]["state"] == "warn"
    assert "git remote add origin" in checks["gitlab"]["fix"]


def test_unreachable_mlflow_server_fails_with_its_fix(
    set_up_repo: Path, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    outcome = rflow("doctor")
    assert outcome.code == 1
    assert f"store http://127.0.0.1:{port} (from $MLFLOW_TRACKING_URI): not reachable" in (
        outcome.stdout
    )
    assert "fix: start it, or point MLFLOW_TRACKING_URI" in outcome.stdout


def test_running_mlflow_server_is_reachable(
    set_up_repo: Path, rflow, monkeypatch: pytest.MonkeyPatch, live_tracking_uri: str
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", live_tracking_uri)
    code, checks = doctor_json(rflow)
    assert code == 0, checks
    assert checks["mlflow"]["state"] == "ok"
    assert checks["mlflow"]["detail"].endswith(": reachable")


def test_doctor_outside_a_repository_says_so(tmp_path: Path, monkeypatch, rflow) -> None:
    monkeypatch.chdir(tmp_path)
    code, checks = doctor_json(rflow)
    assert code == 1
    assert checks["git"]["state"] == "fail"
    assert checks["git"]["fix"] == "run `git init` here"
