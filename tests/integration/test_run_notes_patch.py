"""A dirty run keeps its diff as an artifact; runs carry a one-line note (MLflow's
description) through the store, runs.yaml, `rflow diff` and the report."""

from __future__ import annotations

import pytest
from fixtures.experiment import HYPOTHESIS, Experiment
from support.cli import run_in_process

pytestmark = pytest.mark.slow


def _client(experiment: Experiment):
    from mlflow.tracking import MlflowClient

    return MlflowClient(f"sqlite:///{experiment.repo / '.rflow' / 'mlflow.db'}")


def test_an_allow_dirty_run_keeps_its_diff_and_untracked_names_as_an_artifact(
    experiment: Experiment,
) -> None:
    train = experiment.repo / "train.py"
    train.write_text(train.read_text().replace("FACTOR = 1.0", "FACTOR = 1.25"), "utf-8")
    (experiment.repo / "scratch.py").write_text("print('tried')\n", "utf-8")

    outcome = run_in_process(["run", HYPOTHESIS, "--allow-dirty", "--", "python", "train.py"])

    assert outcome.code == 0, outcome.stderr
    entry = experiment.runs()[-1]
    assert entry.dirty and entry.patch == "rflow/dirty.patch"
    client = _client(experiment)
    assert client.get_run(entry.run_id).data.tags["rflow.git.patch"] == "rflow/dirty.patch"
    local = client.download_artifacts(
        entry.run_id, "rflow/dirty.patch", str(experiment.repo.parent)
    )
    with open(local, encoding="utf-8") as stream:
        patch = stream.read()
    assert "-FACTOR = 1.0" in patch and "+FACTOR = 1.25" in patch
    assert "# untracked: scratch.py" in patch


def test_a_clean_run_has_no_patch(experiment: Experiment) -> None:
    [entry] = experiment.runs()
    assert entry.patch is None
    assert "rflow.git.patch" not in _client(experiment).get_run(entry.run_id).data.tags


def test_run_note_lands_in_the_store_runs_yaml_diff_and_the_report(experiment: Experiment) -> None:
    first = experiment.runs()[0].run_id
    outcome = run_in_process(
        ["run", HYPOTHESIS, "--note", "same seed,  second look", "--", "python", "train.py"]
    )
    assert outcome.code == 0, outcome.stderr
    later = experiment.runs()[-1]

    assert later.note == "same seed, second look"
    tags = _client(experiment).get_run(later.run_id).data.tags
    assert tags["mlflow.note.content"] == "same seed, second look"
    shown = run_in_process(["diff", first, later.run_id])
    assert "note B: same seed, second look" in shown.stdout
    experiment.commit("H-001: a second look")
    assert run_in_process(["report", HYPOTHESIS, "--update"]).code == 0
    report = (experiment.folder / "report.qmd").read_text(encoding="utf-8")
    assert "note: same seed, second look" in report


def test_runs_note_replaces_the_note_of_a_listed_run(experiment: Experiment) -> None:
    run_id = experiment.runs()[0].run_id

    outcome = run_in_process(["runs", "note", run_id, "the run the verdict rests on"])

    assert outcome.code == 0, outcome.stderr
    assert experiment.runs()[0].note == "the run the verdict rests on"
    tags = _client(experiment).get_run(run_id).data.tags
    assert tags["mlflow.note.content"] == "the run the verdict rests on"


def test_an_empty_or_unknown_note_target_is_one_line(experiment: Experiment) -> None:
    run_id = experiment.runs()[0].run_id
    empty = run_in_process(["runs", "note", run_id, "   "])
    assert empty.code == 2 and "TEXT: empty" in empty.stderr
    unknown = run_in_process(["runs", "note", "f" * 32, "x"])
    assert unknown.code == 2 and "not listed in any research/*/runs.yaml" in unknown.stderr
    assert experiment.runs()[0].note is None
