"""deploy/docker-compose.yml's tracking server, started for real: its own `mlflow server`
command on a real PostgreSQL cluster (initdb/pg_ctl; docker cannot run here), then a
hypothesis made on one clone and checked on another through it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fixtures.experiment import BRANCH, HYPOTHESIS, Experiment, _build, failing
from fixtures.mlflow_server import (
    _mlflow_command,
    _pg_binary,
    _Postgres,
    _stop,
    _wait_for_health,
    free_port,
)
from support.cli import run_in_process
from support.git import git

COMPOSE = Path(__file__).parents[2] / "deploy" / "docker-compose.yml"
PASSWORD = "not-a-secret"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_the_compose_file_runs_mlflow_on_postgresql_with_an_artifact_store() -> None:
    services = compose()["services"]

    assert services["postgres"]["image"].startswith("postgres:")
    assert "postgres" in services["mlflow"]["depends_on"]
    command = services["mlflow"]["command"]
    backend = command[command.index("--backend-store-uri") + 1]
    assert backend.startswith("postgresql+psycopg2://mlflow:${MLFLOW_DB_PASSWORD}@postgres:")
    assert command[command.index("--artifacts-destination") + 1] == "/mlartifacts"
    assert "MLFLOW_DB_PASSWORD" not in str(services["postgres"]["environment"]).replace(
        "${MLFLOW_DB_PASSWORD:?set MLFLOW_DB_PASSWORD}", ""
    )  # the password comes from the environment, never from the file


@pytest.fixture
def compose_server(tmp_path: Path) -> Iterator[str]:
    """The compose file's `mlflow server` command, with the compose host names and volumes
    replaced by a local PostgreSQL cluster and a local folder."""
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        pytest.skip("psycopg2 is needed for MLflow's PostgreSQL store")
    postgres = _Postgres()
    try:
        postgres.start()
        psql = _pg_binary("psql")
        assert psql, "PostgreSQL is installed without psql"
        for statement in (
            f"CREATE USER mlflow PASSWORD '{PASSWORD}'",
            "CREATE DATABASE mlflow OWNER mlflow",
        ):
            done = postgres.run(
                psql, "-h", str(postgres.folder), "-p", str(postgres.port), "-U", "postgres",
                "-c", statement,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        port = free_port()
        artifacts = tmp_path / "mlartifacts"
        replace = {
            "${MLFLOW_DB_PASSWORD}": PASSWORD,
            "@postgres:5432/": f"@127.0.0.1:{postgres.port}/",
            "/mlartifacts": str(artifacts),
            "0.0.0.0": "127.0.0.1",
        }
        command = []
        for argument in compose()["services"]["mlflow"]["command"]:
            for old, new in replace.items():
                argument = argument.replace(old, new)
            command.append(str(port) if argument == "5000" else argument)
        log = tmp_path / "server.log"
        with log.open("wb") as stream:
            process = subprocess.Popen(
                [*_mlflow_command(), *command],
                cwd=tmp_path,
                stdout=stream,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for_health(url, process, log)
            yield url
        finally:
            _stop(process)
    finally:
        postgres.stop()


def test_a_clone_checks_through_the_compose_server(
    compose_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "base"
    base.mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", compose_server)
    _build(base)  # the first machine: the team's server
    experiment = Experiment(base / "repo", base / "remote")
    clone = base / "clone"
    git(base, "clone", "-q", "-b", BRANCH, str(base / "origin.git"), str(clone))

    outcome = run_in_process(["check", HYPOTHESIS, "--json"], cwd=clone)

    assert {entry.tracking_uri for entry in experiment.runs()} == {compose_server}
    assert outcome.code == 0, failing(__import__("json").loads(outcome.stdout))
