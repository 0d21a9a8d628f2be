"""`rflow link` adopts runs made elsewhere; `researchflow.run()` links a notebook's run."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.git import git

import researchflow
from researchflow.documents.runlog import read_runs

RUNS = Path("research/H-001-demo/runs.yaml")


@pytest.fixture
def client(mlflow_server: str, monkeypatch: pytest.MonkeyPatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    return MlflowClient(tracking_uri=mlflow_server)


def notebook_run(client, commit: str, tags: dict[str, str] | None = None) -> str:
    """A finished run as a notebook's `mlflow.start_run()` leaves it: git commit tag, metric."""
    experiment = client.get_experiment_by_name("notebooks") or client.get_experiment(
        client.create_experiment("notebooks")
    )
    run = client.create_run(
        experiment.experiment_id,
        tags={
            "mlflow.source.git.commit": commit,
            "mlflow.source.name": "explore.ipynb",
            **(tags or {}),
        },
    )
    client.log_metric(run.info.run_id, "accuracy", 0.7)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def test_link_tags_the_run_and_records_it(runs_repo, client, rflow) -> None:
    head = git(runs_repo, "rev-parse", "HEAD").strip()
    run_id = notebook_run(client, head)

    outcome = rflow("link", "H-001", run_id)

    assert outcome.code == 0, outcome.stderr
    assert client.get_run(run_id).data.tags["rflow.hypothesis"] == "H-001"
    (entry,) = read_runs(runs_repo / RUNS).runs
    assert (entry.run_id, entry.commit, entry.source) == (run_id, head, "link")
    assert entry.metrics == {"accuracy": 0.7}
    assert entry.status == "FINISHED"


def test_linking_twice_adds_no_second_entry(runs_repo, client, rflow) -> None:
    run_id = notebook_run(client, git(runs_repo, "rev-parse", "HEAD").strip())
    assert rflow("link", "H-001", run_id).code == 0
    again = rflow("link", "H-001", run_id)
    assert again.code == 0
    assert "already linked" in again.stdout
    assert len(read_runs(runs_repo / RUNS).runs) == 1


def test_run_from_another_repository_is_refused_and_nothing_changes(
    runs_repo, client, rflow
) -> None:
    good = notebook_run(client, git(runs_repo, "rev-parse", "HEAD").strip())
    foreign = notebook_run(client, "0123456789" * 4)

    outcome = rflow("link", "H-001", good, foreign)

    assert outcome.code == 2
    assert foreign in outcome.stderr and "not in this repository" in outcome.stderr
    assert not (runs_repo / RUNS).exists()
    assert "rflow.hypothesis" not in client.get_run(good).data.tags


def test_run_linked_to_another_hypothesis_is_refused(runs_repo, client, rflow) -> None:
    head = git(runs_repo, "rev-parse", "HEAD").strip()
    run_id = notebook_run(client, head, {"rflow.hypothesis": "H-002"})

    outcome = rflow("link", "H-001", run_id)

    assert outcome.code == 2
    assert "already linked to H-002" in outcome.stderr
    assert client.get_run(run_id).data.tags["rflow.hypothesis"] == "H-002"


def test_python_api_links_the_notebooks_run(runs_repo, client) -> None:
    import mlflow

    with researchflow.run("H-001", command=["python", "train.py"]) as active:
        mlflow.log_metric("accuracy", 0.77)

    run = client.get_run(active.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["rflow.hypothesis"] == "H-001"
    (entry,) = read_runs(runs_repo / RUNS).runs
    assert entry.metrics == {"accuracy": 0.77}
    assert entry.command == ("python", "train.py")
    assert mlflow.active_run() is None


def test_python_api_marks_a_run_that_raised_failed(runs_repo, client) -> None:
    with pytest.raises(ValueError), researchflow.run("H-001") as active:
        raise ValueError("diverged")

    assert client.get_run(active.run_id).info.status == "FAILED"
    assert read_runs(runs_repo / RUNS).runs[0].status == "FAILED"


def test_link_command_records_the_full_argv_and_exploratory_is_not_evidence(
    runs_repo, client, rflow
) -> None:
    head = git(runs_repo, "rev-parse", "HEAD").strip()
    scripted = notebook_run(client, head, {"mlflow.source.name": "train.py"})
    given = notebook_run(client, head)

    assert rflow("link", "H-001", scripted).code == 0
    outcome = rflow(
        "link", "H-001", given, "--exploratory", "--command", "python train.py --alpha 0.4"
    )

    assert outcome.code == 0, outcome.stderr
    first, second = read_runs(runs_repo / RUNS).runs
    assert first.command == ("python", "train.py")  # the interpreter, not a bare file
    assert second.command == ("python", "train.py", "--alpha", "0.4")
    assert second.exploratory and not first.exploratory
    assert client.get_run(given).data.tags["rflow.exploratory"] == "true"


def test_run_from_a_store_other_than_the_projects_is_refused(
    runs_repo, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    stray = "sqlite:///mlflow.db"  # relative: another store in every folder
    monkeypatch.setenv("MLFLOW_TRACKING_URI", stray)
    run_id = notebook_run(MlflowClient(stray), git(runs_repo, "rev-parse", "HEAD").strip())

    outcome = rflow("link", "H-001", run_id)

    assert outcome.code == 2
    assert "MLFLOW_TRACKING_URI is sqlite:///mlflow.db, not this project's store" in outcome.stderr
    assert not (runs_repo / RUNS).exists()
