"""After approval: `rflow extend` changes the timebox without a deviation, and a deviation
can be re-approved so later runs are confirmatory again."""

from __future__ import annotations

import pytest
from fixtures.experiment import HYPOTHESIS, Experiment, rflow_in

from researchflow.documents.document import parse_document


def _back_to_running(experiment: Experiment) -> None:
    plan = experiment.folder / "plan.qmd"
    text = plan.read_text(encoding="utf-8").replace("status: reported", "status: running")
    plan.write_text(text, encoding="utf-8")
    experiment.commit("H-001: more runs")


def _run_and_report(experiment: Experiment) -> str:
    assert rflow_in(experiment.repo, "run", HYPOTHESIS) == 0  # the registered command
    experiment.commit("H-001: another run")
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, "--update") == 0
    experiment.commit("H-001: report refreshed")
    return (experiment.folder / "report.qmd").read_text(encoding="utf-8")


def test_extend_changes_the_timebox_and_runs_stay_confirmatory(
    experiment: Experiment, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _back_to_running(experiment)
    monkeypatch.setenv("RFLOW_USER", "carol")  # the executor extends, past the 5-day cap
    outcome = rflow(
        "extend", HYPOTHESIS, "--days", "3", "--reason", "the March data was late",
        "--override", "agreed at the stand-up",
    )  # fmt: skip
    assert outcome.code == 0, outcome.stderr
    fm = parse_document((experiment.folder / "plan.qmd").read_text(encoding="utf-8")).front_matter
    assert fm["timebox_days"] == 8
    assert fm["status"] == "running"
    last = fm["lifecycle"][-1]
    assert (last["event"], last["days"], last["reason"]) == ("extend", 3, "the March data was late")
    assert not fm.get("deviations")
    experiment.commit("H-001: timebox extended", author="carol")  # her own step
    report = _run_and_report(experiment)
    assert "2 confirmatory, 0 exploratory" in report
    assert experiment.check()["code"] == 0


def test_extend_refuses_a_plan_that_is_not_under_way(experiment: Experiment, rflow) -> None:
    outcome = rflow("extend", HYPOTHESIS, "--days", "3", "--reason", "late")
    assert outcome.code == 2
    assert "only a plan that is approved, running or on hold can be extended" in outcome.stderr


def _deviate(experiment: Experiment, rflow) -> None:
    plan = experiment.folder / "plan.qmd"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(
        text.replace("One training run on the fixed split", "Two training runs on the fixed split"),
        encoding="utf-8",
    )
    outcome = rflow("deviate", HYPOTHESIS, "--reason", "the split needs a second run")
    assert outcome.code == 0, outcome.stderr
    experiment.commit("H-001: deviation")


def test_deviation_without_reapproval_leaves_later_runs_exploratory(
    experiment: Experiment, rflow
) -> None:
    _back_to_running(experiment)
    _deviate(experiment, rflow)
    report = _run_and_report(experiment)
    assert "1 confirmatory, 1 exploratory" in report
    assert "after a deviation that is not re-approved yet" in report


def test_the_report_shows_a_written_role_waiver(experiment: Experiment) -> None:
    plan = experiment.folder / "plan.qmd"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(
        text.replace("reviewers: [dave]}", "reviewers: [dave], reason: 'a team of three'}", 1),
        encoding="utf-8",
    )
    experiment.commit("H-001: role waiver written")
    assert rflow_in(experiment.repo, "report", HYPOTHESIS, "--update") == 0
    report = (experiment.folder / "report.qmd").read_text(encoding="utf-8")
    assert "**Role rules waived:** a team of three" in report


def test_a_confirmatory_run_by_someone_other_than_the_executor_fails_check(
    experiment: Experiment,
) -> None:
    from fixtures.experiment import failing

    from researchflow.base.frozen import replace
    from researchflow.documents.runlog import read_runs, render_runs

    runs = experiment.folder / "runs.yaml"
    entries = [replace(run, user="alice") for run in read_runs(runs).runs]
    runs.write_text(render_runs(HYPOTHESIS, entries), encoding="utf-8")
    experiment.commit("H-001: the store says alice made the run")
    problems = " ".join(failing(experiment.check()).get("report", []))
    assert "was made by alice, not by the executor carol" in problems
    plan = experiment.folder / "plan.qmd"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace(
            "reviewers: [dave]}", "reviewers: [dave], reason: 'carol was ill'}", 1
        ),
        encoding="utf-8",
    )
    experiment.commit("H-001: the waiver is written")
    problems = " ".join(failing(experiment.check()).get("report", []))
    assert "not by the executor" not in problems


def test_reapproval_makes_later_runs_confirmatory_and_the_report_names_it(
    experiment: Experiment, rflow, monkeypatch
) -> None:
    _back_to_running(experiment)
    _deviate(experiment, rflow)
    monkeypatch.setenv("RFLOW_USER", "dave")
    outcome = rflow("approve", HYPOTHESIS)
    assert outcome.code == 0, outcome.stderr
    assert "re-approved by dave as reapprovals[0]" in outcome.stdout
    fm = parse_document((experiment.folder / "plan.qmd").read_text(encoding="utf-8")).front_matter
    assert fm["reapprovals"][0]["by"] == "dave"
    assert fm["approval"]["by"] == "dave" and fm["status"] == "running"
    experiment.commit("H-001: re-approved by dave")
    monkeypatch.delenv("RFLOW_USER")
    report = _run_and_report(experiment)
    # the first run rests on the approval, the second on the re-approval
    assert "2 confirmatory, 0 exploratory" in report
    assert "the re-approval by dave (reapprovals[0])" in report
