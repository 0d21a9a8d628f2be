"""The reproducibility gate against tampering: a clean experiment passes every level, and
each way of cheating (or of drifting by accident) fails the check that should catch it."""

from __future__ import annotations

from fixtures.experiment import failing


def test_a_clean_experiment_passes_every_level(experiment) -> None:
    result = experiment.check("--rerun", "--execute-notebooks")
    statuses = {c["check"]: c["status"] for c in result["checks"]}
    assert failing(result) == {}
    assert result["code"] == 0
    expected = {"plan", "registration", "provenance", "report", "rerun", "notebooks"}
    assert {name for name, status in statuses.items() if status == "pass"} >= expected


def store(experiment):
    from mlflow.tracking import MlflowClient

    from researchflow.documents.config import load_config, tracking_uri

    return MlflowClient(tracking_uri(load_config(experiment.repo)))


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_report_number_edited_by_hand_fails_the_report_check(experiment) -> None:
    edit(experiment.folder / "report.qmd", "| 2 | 1 | +1 |", "| 2.3 | 1 | +1.3 |")
    experiment.commit("a better number")
    result = experiment.check()
    assert set(failing(result)) == {"report"}
    [problem] = failing(result)["report"]
    assert "results block: differs from the runs in the store" in problem
    assert "rflow report H-001 --update" in problem
    assert result["code"] == 1


def test_prediction_changed_after_approval_without_deviation_fails_registration(
    experiment,
) -> None:
    edit(experiment.folder / "plan.qmd", "baseline: 1.0", "baseline: 0.5")
    experiment.commit("an easier baseline")
    problems = failing(experiment.check())
    assert "registration" in problems
    assert any(p.startswith("approval.digest") for p in problems["registration"])
    assert any("rflow deviate" in p for p in problems["registration"])


def test_approval_by_the_author_fails_registration(experiment) -> None:
    edit(experiment.folder / "plan.qmd", "by: dave", "by: alice")
    experiment.commit("approved it myself")
    problems = failing(experiment.check())
    assert "registration" in problems  # the report, which names the approver, is stale too
    assert any(p.startswith("approval.by") for p in problems["registration"])


def test_data_changed_after_the_run_is_stale_evidence(experiment) -> None:
    from fixtures.experiment import dvc

    (experiment.repo / "data" / "numbers.csv").write_text("2\n3\n4\n", encoding="utf-8")
    dvc(experiment.repo, "add", "-q", "data/numbers.csv")
    experiment.commit("new data")
    problems = failing(experiment.check())
    assert set(problems) == {"provenance"}
    [problem] = problems["provenance"]
    assert problem.startswith("runs[0].data.data/numbers.csv: stale evidence")
    assert "rflow run" in problem


def test_data_missing_from_cache_and_remote_fails_provenance(experiment) -> None:
    [run] = experiment.runs()
    md5 = run.data["data/numbers.csv"]
    for base in (experiment.repo / ".dvc" / "cache", experiment.remote):
        (base / "files" / "md5" / md5[:2] / md5[2:]).unlink()
    problems = failing(experiment.check())
    assert set(problems) == {"provenance"}
    assert "neither in the DVC cache nor on the remote" in problems["provenance"][0]


def test_run_whose_commit_is_not_an_ancestor_of_head_fails_provenance(experiment) -> None:
    from support.git import git

    [run] = experiment.runs()
    env = {**__import__("os").environ, "GIT_COMMITTER_DATE": "2031-01-01T00:00:00Z"}
    git(experiment.repo, "rebase", "-q", "--force-rebase", f"{run.commit}~1", env=env)
    problems = failing(experiment.check())
    # the run no longer counts as evidence, so the report's verdict is stale too
    assert set(problems) == {"provenance", "report"}
    assert "not an ancestor of HEAD" in problems["provenance"][0]


def test_run_linked_from_another_hypothesis_fails_provenance(experiment) -> None:
    from researchflow.base.frozen import replace
    from researchflow.documents.runlog import append_run

    [run] = experiment.runs()
    client = store(experiment)
    other = client.create_run(
        run.experiment_id,
        tags={
            "rflow.hypothesis": "H-002",
            "mlflow.source.git.commit": run.commit,
            "rflow.git.dirty": "false",
        },
    )
    client.log_metric(other.info.run_id, "score", 9.0)
    client.set_terminated(other.info.run_id)
    borrowed = replace(run, run_id=other.info.run_id)
    append_run(experiment.folder / "runs.yaml", "H-001", borrowed)
    experiment.commit("borrow a better run")
    problems = failing(experiment.check())
    assert any("belongs to H-002, not H-001" in p for p in problems["provenance"]), problems


def test_run_deleted_from_the_store_fails_provenance(experiment) -> None:
    [run] = experiment.runs()
    store(experiment).delete_run(run.run_id)
    problems = failing(experiment.check())
    assert "provenance" in problems
    assert f"run {run.run_id} is not in the MLflow store" in problems["provenance"][0]


def test_dirty_run_passed_off_as_clean_fails_provenance(experiment) -> None:
    [run] = experiment.runs()
    # the run was made on uncommitted changes; runs.yaml was edited to hide it
    store(experiment).set_tag(run.run_id, "rflow.git.dirty", "true")
    problems = failing(experiment.check())
    # the store's word counts: the run is exploratory, so the report's verdict is stale too
    assert set(problems) == {"provenance", "report"}
    assert any(
        p.startswith("runs[0].dirty: runs.yaml says dirty: false, the store says true")
        for p in problems["provenance"]
    )


def test_notebook_that_raises_fails_the_notebooks_check(experiment) -> None:
    from fixtures.notebooks import write_notebook

    write_notebook(experiment.folder / "explore.ipynb", ["1 / 0"])
    experiment.commit("an exploration notebook")
    assert failing(experiment.check()) == {}  # valid nbformat: only running it shows the error
    problems = failing(experiment.check("--execute-notebooks"))
    assert set(problems) == {"notebooks"}
    assert "ZeroDivisionError" in problems["notebooks"][0]


def test_code_changed_after_the_run_is_caught_by_the_rerun_as_a_later_change(
    experiment,
) -> None:
    edit(experiment.repo / "train.py", "FACTOR = 1.0", "FACTOR = 1.5")
    experiment.commit("tweak the model")
    problems = failing(experiment.check("--rerun"))
    assert set(problems) == {"rerun"}
    [problem] = problems["rerun"]
    assert problem.startswith("rerun: a later change")
    assert "score 3 vs reported 2" in problem


def test_metric_that_does_not_reproduce_is_reported_as_non_deterministic(experiment) -> None:
    from fixtures.experiment import HYPOTHESIS, rflow_in

    edit(experiment.repo / "train.py", "NOISE = 0.0", "NOISE = 1.0")
    experiment.commit("add noise")
    assert rflow_in(experiment.repo, "run", HYPOTHESIS) == 0
    experiment.commit("a noisy run")
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, "--update") == 0
    experiment.commit("report the noisy run")
    assert failing(experiment.check()) == {}
    problems = failing(experiment.check("--rerun"))
    assert set(problems) == {"rerun"}
    [problem] = problems["rerun"]
    assert "does not reproduce even at its own commit" in problem
    assert "the experiment is non-deterministic" in problem
    assert "deviate" not in problem  # a failed rerun is never laundered by a deviation


def test_data_only_on_the_remote_is_pulled_for_the_rerun(experiment) -> None:
    [run] = experiment.runs()
    md5 = run.data["data/numbers.csv"]
    (experiment.repo / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).unlink()
    result = experiment.check("--rerun")
    assert failing(result) == {}
    rerun = next(c for c in result["checks"] if c["check"] == "rerun")
    assert rerun["status"] == "pass" and "reproduced on HEAD (score=2)" in rerun["detail"]


def test_the_store_is_queried_once_per_hypothesis(experiment, monkeypatch) -> None:
    from researchflow.adapters import mlflow

    calls: list[tuple[list[str], str | None]] = []
    real = mlflow.fetch_runs

    def counting(uri, run_ids, hypothesis=None):
        calls.append((list(run_ids), hypothesis))
        return real(uri, run_ids, hypothesis)

    monkeypatch.setattr(mlflow, "fetch_runs", counting)
    assert failing(experiment.check()) == {}
    # one search by the hypothesis's tag, which also brings every listed run
    assert calls == [([run.run_id for run in experiment.runs()], "H-001")]


def test_an_unreachable_store_exits_three_naming_it(experiment) -> None:
    from fixtures.mlflow_server import free_port

    down = f"http://127.0.0.1:{free_port()}"
    result = experiment.check(MLFLOW_TRACKING_URI=down)
    assert result["code"] == 3
    problems = failing(result)
    assert "provenance" in problems
    assert f"MLflow tracking server {down} is not reachable" in problems["provenance"][0]


def test_runs_yaml_as_a_symlink_to_dev_zero_fails_fast(experiment) -> None:
    import os

    from support.cli import run_process

    runs = experiment.folder / "runs.yaml"
    runs.unlink()
    os.symlink("/dev/zero", runs)
    experiment.commit("runs.yaml, endless")
    outcome = run_process(["check", "H-001"], cwd=experiment.repo, timeout=120)
    assert outcome.code != 0
    assert "runs.yaml: is a symlink or not a regular file" in outcome.stdout + outcome.stderr
