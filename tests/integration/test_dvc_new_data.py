"""DVC as its tutorial uses it: new data `dvc add`ed, then `dvc repro` through rflow; and
an output kept in git (`cache: false`) rather than in the DVC cache."""

from __future__ import annotations

import json
import shutil

from fixtures.dvc_pipeline import HYPOTHESIS
from fixtures.experiment import dvc, failing, write_report


def check(rflow, *args: str) -> dict:
    outcome = rflow("check", HYPOTHESIS, "--json", *args)
    data = json.loads(outcome.stdout)
    data["code"] = outcome.code
    return data


def report_and_commit(project, rflow) -> None:
    assert rflow("report", HYPOTHESIS).code == 0
    write_report(project.folder / "report.qmd")
    project.commit("H-001: report")


def test_new_data_then_dvc_repro_records_the_data_the_pipeline_used(pipeline_project, rflow):
    from researchflow.adapters.dvc import data_versions

    project = pipeline_project
    dvc(project.repo, "repro", "-q")  # the project had run before: dvc.lock names the old data
    project.commit("the pipeline as it was")
    raw = project.repo / "data" / "raw.csv"
    rows = raw.read_text(encoding="utf-8").splitlines()
    raw.write_text("\n".join([*rows, *rows[1:21]]) + "\n", encoding="utf-8")  # new data
    dvc(project.repo, "add", "-q", "data/raw.csv")
    dvc(project.repo, "push", "-q")
    project.commit("new data")
    new = data_versions(project.repo)["data/raw.csv"]

    outcome = rflow("run", HYPOTHESIS, "--", "dvc", "repro")

    assert outcome.code == 0, outcome.stderr
    [run] = project.runs()
    assert run.data["data/raw.csv"] == new
    assert project.store_run(run.run_id).data.tags["rflow.data.data/raw.csv"] == new
    project.commit("H-001: the run on the new data, its dvc.lock and runs.yaml")
    report_and_commit(project, rflow)
    result = check(rflow, "--rerun")  # the rerun pulls the new data and reproduces
    assert result["code"] == 0, failing(result)


def test_new_data_then_dvc_exp_run_records_what_its_dvc_lock_says(pipeline_project, rflow):
    from researchflow.adapters.dvc import data_versions

    project = pipeline_project
    dvc(project.repo, "repro", "-q")
    project.commit("the pipeline as it was")
    raw = project.repo / "data" / "raw.csv"
    rows = raw.read_text(encoding="utf-8").splitlines()
    raw.write_text("\n".join([*rows, *rows[1:11]]) + "\n", encoding="utf-8")
    dvc(project.repo, "add", "-q", "data/raw.csv")
    dvc(project.repo, "push", "-q")
    project.commit("new data")

    outcome = rflow("run", HYPOTHESIS, "--", "dvc", "exp", "run")

    assert outcome.code == 0, outcome.stderr
    [run] = project.runs()
    assert run.dvc_exp and not run.dirty
    lock = (project.repo / "dvc.lock").read_text(encoding="utf-8")
    assert run.data["data/raw.csv"] == data_versions(project.repo)["data/raw.csv"]
    assert run.data["data/raw.csv"] in lock  # what the experiment's dvc.lock says it used
    project.commit("H-001: the experiment on the new data, its dvc.lock and runs.yaml")
    report_and_commit(project, rflow)
    result = check(rflow)
    assert result["code"] == 0, failing(result)


def test_the_runs_artifacts_travel_with_an_exported_store(pipeline_project, rflow, tmp_path):
    from mlflow.tracking import MlflowClient
    from support.cli import run_in_process
    from support.git import git

    project = pipeline_project
    assert rflow("run", HYPOTHESIS, "--", "dvc", "repro").code == 0
    project.commit("H-001: the run")
    [run] = project.runs()
    bundle = tmp_path / "runs.zip"
    exported = json.loads(rflow("store", "export", "-o", str(bundle), "--json").stdout)
    clone = project.repo.parent / "clone"
    git(project.repo.parent, "clone", "-q", str(project.repo), str(clone))

    imported = run_in_process(["store", "import", str(bundle), "--json"], cwd=clone)

    assert imported.code == 0, imported.stderr
    assert json.loads(imported.stdout)["artifacts"] == exported["artifacts"] > 0
    client = MlflowClient(f"sqlite:///{clone / '.rflow' / 'mlflow.db'}")
    plots = [a.path for a in client.list_artifacts(run.run_id, "eval/plots/sklearn/roc")]
    assert "eval/plots/sklearn/roc/test.json" in plots


def test_an_output_kept_in_git_is_verified_through_git_not_the_dvc_cache(pipeline_project, rflow):
    project = pipeline_project
    stages = project.repo / "dvc.yaml"
    text = stages.read_text(encoding="utf-8")
    assert "    outs:\n      - eval\n" in text
    stages.write_text(
        text.replace(
            "    outs:\n      - eval\n", "    outs:\n      - eval:\n          cache: false\n"
        ),
        encoding="utf-8",
    )
    project.commit("eval/ is kept in git, as DVC's tutorial keeps its metrics")

    outcome = rflow("run", HYPOTHESIS, "--", "dvc", "repro")
    assert outcome.code == 0, outcome.stderr
    project.commit("H-001: the run, dvc.lock, eval/ and runs.yaml")
    report_and_commit(project, rflow)
    assert check(rflow)["code"] == 0

    shutil.rmtree(project.repo / ".dvc" / "cache")  # a fresh machine: no DVC cache
    problems = failing(check(rflow))

    assert not any("eval" in p for p in problems.get("provenance", [])), problems
    assert any("model.pkl" in p for p in problems.get("provenance", [])), problems
