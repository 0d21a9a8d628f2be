"""A real DVC pipeline taken through the README workflow without adapting it: plan →
approve → `rflow run -- dvc repro` → commit → report → `check --rerun`."""

from __future__ import annotations

import json
import shutil
import subprocess

from fixtures.dvc_pipeline import HYPOTHESIS, METRIC
from fixtures.experiment import failing, write_report


def check(rflow, *args: str) -> dict:
    outcome = rflow("check", HYPOTHESIS, "--json", *args)
    data = json.loads(outcome.stdout)
    data["code"] = outcome.code
    return data


def status(repo) -> list[str]:
    out = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(line[3:] for line in out.splitlines())


def test_pipeline_run_reports_and_reproduces_from_raw_inputs_alone(pipeline_project, rflow) -> None:
    project = pipeline_project
    outcome = rflow("run", HYPOTHESIS, "--", "dvc", "repro")
    assert outcome.code == 0, outcome.stderr
    [run] = project.runs()

    # inputs are inputs (the raw data), outputs are outputs, and the metrics are in the run
    assert set(run.data) == {"data/raw.csv"}
    assert set(run.outputs) == {"data/prepared", "data/features", "model.pkl", "eval"}
    assert not run.dirty
    stored = project.store_run(run.run_id)
    assert 0.5 < stored.data.metrics[METRIC] <= 1.0
    assert run.metrics == {METRIC: stored.data.metrics[METRIC]}
    assert stored.data.params["train.n_est"] == "20"
    assert stored.data.tags["rflow.out.model.pkl"] == run.outputs["model.pkl"]
    hint = "git add dvc.lock .gitignore data/.gitignore research/H-001-pipeline/runs.yaml"
    assert hint in outcome.stderr
    assert "dvc push" in outcome.stderr

    # plots are run artifacts; MLflow writes nothing into the working tree
    from mlflow.tracking import MlflowClient

    from researchflow.documents.config import load_config, tracking_uri

    client = MlflowClient(tracking_uri(load_config(project.repo)))
    plots = [a.path for a in client.list_artifacts(run.run_id, "eval/plots/sklearn/roc")]
    assert "eval/plots/sklearn/roc/test.json" in plots
    assert status(project.repo) == [".gitignore", "data/.gitignore", "dvc.lock", run_file()]

    project.commit("H-001: the pipeline's run, dvc.lock and runs.yaml")
    assert rflow("report", HYPOTHESIS).code == 0
    report = (project.folder / "report.qmd").read_text(encoding="utf-8")
    assert METRIC in report and "confirmed" in report
    write_report(project.folder / "report.qmd")  # its own sections, before it is committed
    project.commit("H-001: report")

    result = check(rflow, "--rerun")
    assert failing(result) == {}, failing(result)
    rerun = next(c for c in result["checks"] if c["check"] == "rerun")
    assert rerun["status"] == "pass" and METRIC in rerun["detail"]
    # every output was in the cache: the rerun still executed every stage
    [again] = client.search_runs(
        [stored.info.experiment_id], f"tags.rflow.rerun_of = '{run.run_id}'"
    )
    assert again.data.tags["rflow.command"] == "dvc repro --force"
    assert again.data.metrics[METRIC] == stored.data.metrics[METRIC]

    # a fresh machine: only the raw input is on the remote, the outputs nowhere
    shutil.rmtree(project.repo / ".dvc" / "cache")
    result = check(rflow, "--rerun")
    problems = failing(result)
    assert set(problems) == {"provenance"}, problems
    assert any(
        "output model.pkl" in p and "`dvc push model.pkl`" in p for p in problems["provenance"]
    )
    # the rerun fetched the raw data from the remote and rebuilt everything else
    rerun = next(c for c in result["checks"] if c["check"] == "rerun")
    assert rerun["status"] == "pass", rerun

    # params changed and committed without a rerun: plain check names the change
    params = project.repo / "params.yaml"
    params.write_text(params.read_text().replace("n_est: 20", "n_est: 30"), encoding="utf-8")
    project.commit("more trees")
    problems = failing(check(rflow))
    assert any("train.n_est 20 → 30" in p for p in problems["provenance"]), problems

    # a command that writes no metrics file is not credited with the one an earlier run left
    assert rflow("run", HYPOTHESIS, "--", "true").code == 0
    unrelated = project.store_run(project.runs()[-1].run_id)
    assert METRIC not in unrelated.data.metrics


def test_dvc_exp_run_records_the_experiment_its_params_and_metrics(pipeline_project, rflow) -> None:
    project = pipeline_project
    outcome = rflow("run", HYPOTHESIS, "--", "dvc", "exp", "run", "-S", "train.n_est=30")

    assert outcome.code == 0, outcome.stderr
    [run] = project.runs()
    stored = project.store_run(run.run_id)
    assert stored.data.params["train.n_est"] == "30"  # what the pipeline trained with
    assert METRIC in stored.data.metrics
    assert run.dvc_exp and stored.data.tags["rflow.dvc.exp"] == run.dvc_exp
    assert f"dvc exp apply {run.dvc_exp}" in outcome.stderr
    # `dvc exp run -S` left params.yaml modified: the run is not evidence until committed
    assert run.dirty and stored.data.tags["rflow.git.dirty"] == "true"
    assert "the command changed params.yaml" in outcome.stderr
    # and the hint commits the params with the lock they produced, then asks for a clean run
    assert "its dvc.lock matches no commit yet: `git add params.yaml dvc.lock" in outcome.stderr


def run_file() -> str:
    return "research/H-001-pipeline/runs.yaml"
