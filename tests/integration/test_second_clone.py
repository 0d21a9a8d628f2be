"""A second machine: a git clone of the hypothesis, without the first machine's store.

The runs live in the embedded store of the machine that made them. A colleague's clone (or
CI) must be told, in one line, where they live and how to reach them, and must be able to
check the hypothesis once it has them: through an exported store, or the team's server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.experiment import BRANCH, HYPOTHESIS, Experiment, _build
from support.cli import run_in_process
from support.git import git


def clone_of(experiment: Experiment, name: str = "clone") -> Path:
    """A colleague's clone of the hypothesis branch, from the bare origin."""
    base = experiment.repo.parent
    clone = base / name
    git(base, "clone", "-q", "-b", BRANCH, str(base / "origin.git"), str(clone))
    return clone


def test_runs_yaml_names_the_embedded_store_relative_to_the_repository(
    experiment: Experiment,
) -> None:
    assert {entry.tracking_uri for entry in experiment.runs()} == {"sqlite:///.rflow/mlflow.db"}


def test_clone_without_the_store_is_told_in_one_line_where_the_runs_live(
    experiment: Experiment,
) -> None:
    clone = clone_of(experiment)

    outcome = run_in_process(["check", HYPOTHESIS], cwd=clone)

    assert outcome.code == 3, outcome.stdout + outcome.stderr
    said = (outcome.stdout + outcome.stderr).strip().splitlines()
    assert len(said) == 1, said
    assert "sqlite:///.rflow/mlflow.db" in said[0]
    assert "rflow store import" in said[0] and "MLFLOW_TRACKING_URI" in said[0]
    assert "report --update" not in said[0]
    assert not (clone / ".rflow" / "mlflow.db").exists()


def test_doctor_in_a_clone_without_the_store_says_the_store_lacks_the_runs(
    experiment: Experiment,
) -> None:
    clone = clone_of(experiment)

    outcome = run_in_process(["doctor"], cwd=clone)

    assert outcome.code == 1
    runs_line = next(line for line in outcome.stdout.splitlines() if " runs " in line)
    assert runs_line.startswith("FAIL") and "does not exist here" in runs_line
    assert "rflow store import" in outcome.stdout
    assert not (clone / ".rflow" / "mlflow.db").exists()


def test_doctor_where_the_runs_were_made_finds_them_all(experiment: Experiment) -> None:
    outcome = run_in_process(["doctor"], cwd=experiment.repo)

    assert "all in the store" in outcome.stdout


def metric_history(repo: Path, run_id: str) -> list[tuple[float, int, int]]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{repo / '.rflow' / 'mlflow.db'}")
    return [(m.value, m.timestamp, m.step) for m in client.get_metric_history(run_id, "score")]


def test_a_clone_with_the_imported_store_passes_check(experiment: Experiment) -> None:
    bundle = experiment.repo.parent / "H-001-runs.zip"
    exported = run_in_process(
        ["store", "export", HYPOTHESIS, "-o", str(bundle), "--json"], cwd=experiment.repo
    )
    assert exported.code == 0, exported.stderr
    clone = clone_of(experiment)

    imported = run_in_process(["store", "import", str(bundle), "--json"], cwd=clone)
    checked = run_in_process(["check", HYPOTHESIS], cwd=clone)

    assert imported.code == 0, imported.stderr
    run_ids = [entry.run_id for entry in experiment.runs()]
    assert set(run_ids) <= set(json.loads(imported.stdout)["runs"])
    assert checked.code == 0, checked.stdout + checked.stderr
    assert metric_history(clone, run_ids[0]) == metric_history(experiment.repo, run_ids[0])


def test_importing_the_same_bundle_twice_changes_nothing(experiment: Experiment) -> None:
    bundle = experiment.repo.parent / "H-001-runs.zip"
    assert run_in_process(["store", "export", "-o", str(bundle)], cwd=experiment.repo).code == 0
    clone = clone_of(experiment)
    assert run_in_process(["store", "import", str(bundle)], cwd=clone).code == 0

    again = run_in_process(["store", "import", str(bundle), "--json"], cwd=clone)

    assert again.code == 0
    assert json.loads(again.stdout)["runs"] == []
    assert len(json.loads(again.stdout)["skipped"]) >= 1


def test_a_file_that_is_no_bundle_is_one_line_naming_it(experiment: Experiment) -> None:
    bogus = experiment.repo.parent / "notes.zip"
    bogus.write_text("not a zip", encoding="utf-8")

    outcome = run_in_process(["store", "import", str(bogus)], cwd=experiment.repo)

    assert outcome.code == 2
    assert outcome.stderr.count("\n") == 1 and "notes.zip: not a run bundle" in outcome.stderr


@pytest.fixture
def team_server(tmp_path: Path) -> Iterator[str]:
    """A tracking server of this test's own: the session's shared one holds other tests'
    H-001 runs, which the gate would rightly count as tries of this hypothesis."""
    from fixtures.mlflow_server import _stop, start_mlflow_server

    folder = tmp_path / "server"
    folder.mkdir()
    url, process = start_mlflow_server(folder, f"sqlite:///{folder / 'mlflow.db'}")
    try:
        yield url
    finally:
        _stop(process)


def test_a_clone_checks_through_the_team_server(
    team_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlflow_server = team_server
    base = tmp_path / "base"
    base.mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    _build(base)  # the first machine: every run on the team's server
    experiment = Experiment(base / "repo", base / "remote")
    assert {entry.tracking_uri for entry in experiment.runs()} == {mlflow_server}
    clone = clone_of(experiment)

    through_server = run_in_process(["check", HYPOTHESIS], cwd=clone)
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    without = run_in_process(["check", HYPOTHESIS], cwd=clone)

    assert through_server.code == 0, through_server.stdout + through_server.stderr
    assert without.code == 3
    assert f"MLFLOW_TRACKING_URI={mlflow_server}" in without.stderr
    assert not (clone / ".rflow" / "mlflow.db").exists()

    # offline: the runs exported from the server into this clone's embedded store
    bundle = tmp_path / "from-server.zip"
    exported = run_in_process(
        ["store", "export", HYPOTHESIS, "-o", str(bundle)],
        cwd=clone,
        env={"MLFLOW_TRACKING_URI": mlflow_server},
    )
    assert exported.code == 0, exported.stderr
    assert run_in_process(["store", "import", str(bundle)], cwd=clone).code == 0
    offline = run_in_process(["check", HYPOTHESIS], cwd=clone)
    assert offline.code == 0, offline.stdout + offline.stderr


def test_report_update_in_a_clone_without_the_store_writes_no_missing_verdicts(
    experiment: Experiment,
) -> None:
    clone = clone_of(experiment)
    report = clone / "research" / "H-001-graded" / "report.qmd"
    before = report.read_text(encoding="utf-8")

    outcome = run_in_process(["report", HYPOTHESIS, "--update"], cwd=clone)

    assert outcome.code == 3
    assert "rflow store import" in outcome.stderr
    assert report.read_text(encoding="utf-8") == before
    assert not (clone / ".rflow" / "mlflow.db").exists()


def _refused_in_one_line(clone: Path, args: list[str]) -> str:
    """`rflow ARGS` in the clone: exit 3, one line, and no empty store left behind."""
    outcome = run_in_process(args, cwd=clone)

    assert outcome.code == 3, outcome.stdout + outcome.stderr
    said = (outcome.stdout + outcome.stderr).strip().splitlines()
    assert len(said) == 1, said
    assert "sqlite:///.rflow/mlflow.db" in said[0] and "does not exist here" in said[0]
    assert "rflow store import" in said[0] and "MLFLOW_TRACKING_URI" in said[0]
    assert not (clone / ".rflow" / "mlflow.db").exists()
    return said[0]


def test_diff_in_a_clone_without_the_store_creates_none(experiment: Experiment) -> None:
    run_id = experiment.runs()[0].run_id
    clone = clone_of(experiment)

    line = _refused_in_one_line(clone, ["diff", run_id, "0123456789abcdef0123456789abcdef"])

    assert f"of {HYPOTHESIS} live" in line


def test_runs_close_in_a_clone_without_the_store_creates_none(experiment: Experiment) -> None:
    run_id = experiment.runs()[0].run_id
    clone = clone_of(experiment)

    line = _refused_in_one_line(clone, ["runs", "close", run_id])

    assert f"of {HYPOTHESIS} live" in line


def test_runs_close_of_a_run_no_runs_yaml_lists_names_the_store(experiment: Experiment) -> None:
    clone = clone_of(experiment)

    line = _refused_in_one_line(clone, ["runs", "close", "0123456789abcdef0123456789abcdef"])

    assert line.startswith("rflow: run 0123456789abcdef0123456789abcdef: the MLflow store")


def test_link_in_a_clone_without_the_store_creates_none(experiment: Experiment) -> None:
    run_id = experiment.runs()[0].run_id
    clone = clone_of(experiment)

    line = _refused_in_one_line(clone, ["link", HYPOTHESIS, run_id])

    assert f"of {HYPOTHESIS} live" in line
