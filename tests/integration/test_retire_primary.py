"""A run that was a mistake is retired, not deleted; the primary run can be chosen, and the
report says by whom."""

from __future__ import annotations

from fixtures.experiment import HYPOTHESIS, Experiment, failing
from support.cli import run_in_process


def second_run(experiment: Experiment) -> str:
    """Another confirmatory run of the registered command, committed."""
    assert run_in_process(["run", HYPOTHESIS], cwd=experiment.repo).code == 0
    experiment.commit("H-001: a second confirmatory run")
    return experiment.runs()[-1].run_id


def store_tags(experiment: Experiment, run_id: str) -> dict[str, str]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{experiment.repo / '.rflow' / 'mlflow.db'}")
    return dict(client.get_run(run_id).data.tags)


def report_text(experiment: Experiment) -> str:
    return (experiment.folder / "report.qmd").read_text(encoding="utf-8")


def test_a_retired_run_stays_counted_and_carries_no_verdict(experiment: Experiment) -> None:
    first = experiment.runs()[0].run_id
    mistake = second_run(experiment)

    retired = run_in_process(
        ["runs", "retire", mistake, "--reason", "ran on the test split"],
        cwd=experiment.repo,
        env={"RFLOW_USER": "carol"},
    )
    experiment.commit("H-001: retire the mistaken run")
    updated = run_in_process(["report", HYPOTHESIS, "--update", "--json"], cwd=experiment.repo)
    experiment.commit("H-001: report")

    assert retired.code == 0, retired.stderr
    entry = experiment.runs()[-1]
    assert entry.run_id == mistake and entry.retired is not None
    assert entry.retired["reason"] == "ran on the test split" and entry.retired["by"] == "carol"
    assert store_tags(experiment, mistake)["rflow.retired"] == "ran on the test split"
    assert updated.code == 0, updated.stderr
    text = report_text(experiment)
    assert "**Runs tried:** 2 in all (0 failed, 0 dirty, 1 retired)" in text
    assert "Retired runs (counted as tried, never evidence):" in text
    assert f"`{mistake}`" in text and "retired by carol" in text
    assert f"primary_run: {first}" in text
    result = experiment.check()
    assert result["code"] == 0, failing(result)


def test_retiring_a_run_no_runs_yaml_lists_is_one_line(experiment: Experiment) -> None:
    outcome = run_in_process(["runs", "retire", "0" * 32, "--reason", "typo"], cwd=experiment.repo)

    assert outcome.code == 2
    assert outcome.stderr.count("\n") == 1 and "not listed in any research/" in outcome.stderr


def test_the_chosen_primary_run_is_named_with_who_chose_it(experiment: Experiment) -> None:
    first = experiment.runs()[0].run_id
    second_run(experiment)

    chosen = run_in_process(
        ["report", HYPOTHESIS, "--primary", first], cwd=experiment.repo, env={"RFLOW_USER": "carol"}
    )
    experiment.commit("H-001: rest the report on the first run")

    assert chosen.code == 0, chosen.stderr
    text = report_text(experiment)
    assert f"primary_run: {first}" in text and "primary_chosen_by: carol" in text
    assert f"**Primary run:** `{first}`, chosen by carol at " in text
    assert "among 2 confirmatory run(s)" in text
    result = experiment.check()
    assert result["code"] == 0, failing(result)


def test_an_exploratory_run_cannot_be_the_primary(open_experiment: Experiment) -> None:
    exploratory = open_experiment.runs()[0].run_id

    outcome = run_in_process(
        ["report", HYPOTHESIS, "--primary", exploratory], cwd=open_experiment.repo
    )

    assert outcome.code == 2
    assert f"--primary: run {exploratory} cannot be the primary run: it is exploratory" in (
        outcome.stderr
    )
