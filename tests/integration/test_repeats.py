"""Repeated runs and verdicts with uncertainty, end to end: `rflow run --repeat`, the real
embedded MLflow store, `rflow report`, `rflow power` and the check's report level.

The training script's metric is 0.50 + EFFECT + noise(sd 0.02) drawn from RFLOW_SEED, so
a seed is a repeat and the same seeds give the same numbers.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import git
from fixtures.plans import GOOD_BODY, GOOD_FRONT_MATTER, plan_text, write_plan

from researchflow.documents.config import load_config
from researchflow.documents.runlog import read_runs

FOLDER = "research/H-007-graded-target"
# The scripts log through MLflow's REST API (the session's real `mlflow server`), as any
# client does: without importing mlflow, a repeat costs a process start, not an import.
LOG = """\
import json
import os
import time
import urllib.request


def log_metric(key, value):
    body = {{"run_id": os.environ["MLFLOW_RUN_ID"], "key": key, "value": value,
            "timestamp": int(time.time() * 1000), "step": 0}}
    request = urllib.request.Request(
        os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/log-metric",
        data=json.dumps(body).encode(), headers={{"Content-Type": "application/json"}},
    )
    urllib.request.urlopen(request).read()
"""
TRAIN = (
    LOG
    + """
import random
import sys

EFFECT = {effect}
seed = int(os.environ.get("RFLOW_SEED", "0"))
if seed in {fail_on}:
    sys.exit(3)
log_metric("accuracy", 0.50 + EFFECT + random.Random(seed).gauss(0, 0.02))
"""
)
# the baseline under the same seed: the same noise, without the effect
BASELINE = (
    LOG
    + """
import random

seed = int(os.environ["RFLOW_SEED"])
log_metric("accuracy", 0.50 + random.Random(seed).gauss(0, 0.02))
"""
)
PREDICTION = """\
predictions:
  - metric: accuracy
    baseline: 0.50
    baseline_source: the accuracy of a coin flip
    direction: increase
    min_effect: 0.01
    tolerance: 0.02
data: []
"""
OLD_PREDICTION = GOOD_FRONT_MATTER[
    GOOD_FRONT_MATTER.index("predictions:") : GOOD_FRONT_MATTER.index("command:")
]


def front_matter(evaluation: str) -> str:
    text = GOOD_FRONT_MATTER.replace(OLD_PREDICTION, PREDICTION)
    return text.replace("evaluation: {{repeats: 1}}", f"evaluation: {evaluation}")


BODY = GOOD_BODY.replace(
    "Bootstrap confidence interval over customers, 1,000 resamples.",
    "Ten seeds; a 95 % t-interval of the effect on accuracy.",
)


def build(root: Path, uri: str, *, effect: float, evaluation: str, fail_on: str = "()") -> None:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text(".rflow/\n", encoding="utf-8")
    # its own experiment: the store is the session's, shared with other tests of H-007
    experiment = f"repeats-{root.parent.name}"
    config = f"dvc:\n  enabled: false\nmlflow:\n  tracking_uri: {uri}\n  experiment: {experiment}\n"
    (root / "researchflow.yaml").write_text(config, encoding="utf-8")
    (root / "train.py").write_text(TRAIN.format(effect=effect, fail_on=fail_on), encoding="utf-8")
    (root / "baseline.py").write_text(BASELINE.format(), encoding="utf-8")
    write_plan(root, text=plan_text(front_matter=front_matter(evaluation), body=BODY))
    commit_all(root, "plan H-007 in review")


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def approve(root: Path) -> None:
    from researchflow.commands.approve import approve as run_approve

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RFLOW_USER", "dave")
        run_approve(load_config(root), "H-007")
        # the reviewer commits their own approval: the gate checks the commit's author
        for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
            patch.setenv(key, "dave")
        for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
            patch.setenv(key, "dave@example.com")
        commit_all(root, "approve H-007")


def verdict_row(root: Path) -> list[str]:
    """The primary experiment's row (after the table of all experiments, when there is one)."""
    text = (root / FOLDER / "report.qmd").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| accuracy |")]
    return [cell.strip() for cell in rows[-1].strip("|").split("|")]


def outcome_row(root: Path) -> list[str]:
    """The row of the table of all confirmatory experiments: the outcome over every one."""
    text = (root / FOLDER / "report.qmd").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| accuracy |"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def report_level(rflow) -> dict:
    from fixtures.experiment import write_report

    write_report(Path.cwd() / FOLDER / "report.qmd")  # the author's own sections, written
    outcome = rflow("check", "H-007", "--json")
    [level] = [c for c in json.loads(outcome.stdout)["checks"] if c["check"] == "report"]
    return level


@pytest.fixture(scope="module")
def confirmed_experiment(
    tmp_path_factory: pytest.TempPathFactory, mlflow_server: str
) -> Iterator[Path]:
    """Effect 0.03: three exploratory repeats, the approval, then the registered ten."""
    root = tmp_path_factory.mktemp("repeats") / "repo"
    build(root, mlflow_server, effect=0.03, evaluation="{{repeats: 10, alpha: 0.05}}")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("RFLOW_USER", "carol")  # the executor makes the confirmatory runs
        from researchflow.cli import main

        for args in (
            ["run", "--repeat", "3", "--jobs", "2", "H-007", "--", "python", "train.py"],
            ["run", "--jobs", "2", "H-007"],
        ):
            with pytest.raises(SystemExit) as done:
                main(args)
            assert done.value.code == 0
            commit_all(root, " ".join(args))
            if args[1] == "--repeat":
                # approvals and runs.yaml start times are stamped to the second: an approval
                # in the same second as the last exploratory repeat could not be told apart
                time.sleep(1.1)
                approve(root)
    yield root


@pytest.fixture
def confirmed(confirmed_experiment: Path, tmp_path: Path, monkeypatch) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(confirmed_experiment, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy


def test_repeats_are_seeded_runs_grouped_under_a_parent(confirmed: Path) -> None:
    from mlflow import MlflowClient

    from researchflow.documents.config import tracking_uri

    runs = read_runs(confirmed / FOLDER / "runs.yaml").runs
    assert len(runs) == 13
    groups = {run.group for run in runs}
    assert len(groups) == 2 and None not in groups
    registered = [run for run in runs if run.group == runs[-1].group]
    assert sorted(run.repeat for run in registered) == list(range(10))
    client = MlflowClient(tracking_uri(load_config(confirmed)))
    child = client.get_run(registered[0].run_id)
    assert child.data.tags["mlflow.parentRunId"] == registered[0].group
    assert child.data.tags["rflow.repeat"] == str(registered[0].repeat)
    parent = client.get_run(registered[0].group)
    assert parent.info.status == "FINISHED"
    assert "rflow.hypothesis" not in parent.data.tags  # a container, not a linked run


def test_ten_repeats_of_a_real_effect_confirm_it(confirmed: Path, rflow) -> None:
    outcome = rflow("report", "H-007")
    assert outcome.code == 0, outcome.stderr
    row = verdict_row(confirmed)
    assert row[4] == "10"  # n
    assert row[8] == "**confirmed**"
    low, high = (float(x) for x in row[6].split(" (")[0].split(" to "))
    assert 0.01 < low < 0.03 < high  # the whole interval beyond min_effect, around the truth
    text = (confirmed / FOLDER / "report.qmd").read_text(encoding="utf-8")
    assert "bootstrap interval" in text  # n >= 10
    assert "**Confirmatory experiments made:** 1" in text
    assert "13 in all" in text and "3 exploratory" in text
    assert report_level(rflow)["status"] == "pass"


def test_power_reads_the_spread_of_the_runs_made(confirmed: Path, rflow) -> None:
    from researchflow.verdicts import stats

    values = [run.metrics["accuracy"] for run in read_runs(confirmed / FOLDER / "runs.yaml").runs]
    needed = stats.required_repeats(stats.sample_sd(values), 0.01, 0.05)
    outcome = rflow("power", "H-007", "--json")
    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["needed"] == needed
    assert result["registered"] == 10


def test_one_lucky_seed_does_not_confirm_a_small_effect(
    tmp_path: Path, monkeypatch, rflow, mlflow_server: str
) -> None:
    root = tmp_path / "repo"
    build(root, mlflow_server, effect=0.005, evaluation="{{repeats: 10}}")
    monkeypatch.chdir(root)
    approve(root)
    monkeypatch.setenv("RFLOW_SEED", "2")  # this seed alone gives 0.55: the bar is 0.51
    assert rflow("run", "--repeat", "1", "H-007").code == 0
    monkeypatch.delenv("RFLOW_SEED")
    commit_all(root, "one lucky run")
    assert rflow("report", "H-007").code == 0
    row = verdict_row(root)
    assert float(row[3]) - 0.50 > 0.01  # one run would clear the bar ...
    assert row[8] == "**inconclusive**"  # ... but the plan registered ten
    level = report_level(rflow)
    assert level["status"] == "fail"
    assert any(
        "registered 10 repeats, but the confirmatory experiment has 1" in p["message"]
        for p in level["problems"]
    )
    commit_all(root, "report on one run")
    assert rflow("run", "--jobs", "2", "H-007").code == 0  # the registered ten
    commit_all(root, "the registered repeats")
    assert rflow("report", "H-007", "--update").code == 0
    row = verdict_row(root)
    assert row[4] == "10"
    assert row[8] in ("**inconclusive**", "**refuted**")
    text = (root / FOLDER / "report.qmd").read_text(encoding="utf-8")
    assert "**Confirmatory experiments made:** 2" in text
    # the lucky one-run experiment still counts, and cannot confirm the outcome
    outcome = outcome_row(root)
    assert outcome[1] == "2"
    assert outcome[2].startswith("inconclusive, ")
    assert outcome[3] in ("**inconclusive**", "**refuted**")


def test_a_lost_repeat_fails_alone(tmp_path: Path, monkeypatch, rflow, mlflow_server) -> None:
    root = tmp_path / "repo"
    build(root, mlflow_server, effect=0.03, evaluation="{{repeats: 4}}", fail_on="(1,)")
    monkeypatch.chdir(root)
    outcome = rflow("run", "--jobs", "2", "H-007")
    assert outcome.code == 3  # the lost repeat's exit status is passed on
    assert "repeat 1 (RFLOW_SEED=1): run " in outcome.stderr
    assert "3 of 4 repeats finished" in outcome.stderr
    runs = read_runs(root / FOLDER / "runs.yaml").runs
    assert sorted((run.repeat, run.status) for run in runs) == [
        (0, "FINISHED"),
        (1, "FAILED"),
        (2, "FINISHED"),
        (3, "FINISHED"),
    ]


def test_the_baseline_command_repeats_under_the_same_seeds(
    tmp_path: Path, monkeypatch, rflow, mlflow_server: str
) -> None:
    root = tmp_path / "repo"
    build(
        root,
        mlflow_server,
        effect=0.03,
        evaluation="{{repeats: 3, baseline_command: python baseline.py}}",
    )
    monkeypatch.chdir(root)
    approve(root)
    assert rflow("run", "--jobs", "2", "H-007").code == 0
    commit_all(root, "paired repeats")
    runs = read_runs(root / FOLDER / "runs.yaml").runs
    assert sorted((run.repeat, run.arm or "") for run in runs) == [
        (0, ""),
        (0, "baseline"),
        (1, ""),
        (1, "baseline"),
        (2, ""),
        (2, "baseline"),
    ]
    assert rflow("report", "H-007").code == 0
    row = verdict_row(root)
    assert row[2].endswith("(paired)")
    assert row[4] == "3"
    assert float(row[5]) == pytest.approx(0.03)  # the seed noise cancels out in each pair
    assert row[8] == "**confirmed**"


def rerun_level(rflow, *args: str) -> dict:
    outcome = rflow("check", "H-007", "--json", *args)
    [level] = [c for c in json.loads(outcome.stdout)["checks"] if c["check"] == "rerun"]
    return level


def test_a_group_reruns_its_seeds_and_matches_the_reported_mean(confirmed: Path, rflow) -> None:
    level = rerun_level(rflow, "--rerun-sample", "3")
    assert level["status"] == "pass", level
    assert "seeds 0, 1, 2 of 10" in level["detail"]
    # the gate's own reruns of the group are not runs the author left out of runs.yaml (the
    # session's server holds other tests' H-007 runs too: only the reruns are asserted on)
    group = read_runs(confirmed / FOLDER / "runs.yaml").runs[-1].group
    client = _client(confirmed)
    experiments = [e.experiment_id for e in client.search_experiments()]
    reruns = client.search_runs(experiments, f"tags.`rflow.rerun_of` = '{group}'")
    assert len(reruns) >= 3
    outcome = rflow("check", "H-007", "--json")
    [provenance] = [c for c in json.loads(outcome.stdout)["checks"] if c["check"] == "provenance"]
    messages = " ".join(p["message"] for p in provenance["problems"])
    assert not any(run.info.run_id in messages for run in reruns), messages


def test_a_group_whose_rerun_mean_moved_fails_the_rerun(confirmed: Path, rflow) -> None:
    train = confirmed / "train.py"
    train.write_text(train.read_text(encoding="utf-8").replace("EFFECT = 0.03", "EFFECT = 0.06"))
    commit_all(confirmed, "a stronger effect, after the fact")
    level = rerun_level(rflow, "--rerun-sample", "2")
    assert level["status"] == "fail"
    [problem] = level["problems"]
    assert "the rerun mean of group" in problem["message"]
    assert "(seeds 0, 1 of 10)" in problem["message"] and "tolerance 0.02" in problem["message"]


# --- every registered repeat counts (issue 21) ------------------------------------------


def _registered_group(root: Path) -> list:
    runs = read_runs(root / FOLDER / "runs.yaml").runs
    return [run for run in runs if run.group == runs[-1].group]


def _client(root: Path):
    from mlflow import MlflowClient

    from researchflow.documents.config import tracking_uri

    return MlflowClient(tracking_uri(load_config(root)))


@pytest.fixture
def own(tmp_path: Path, monkeypatch, rflow, mlflow_server: str) -> Path:
    """Five registered repeats in an MLflow experiment of their own: these attacks write
    to the store, so they must not share runs with other tests."""
    root = tmp_path / "repo"
    build(root, mlflow_server, effect=0.03, evaluation="{{repeats: 5}}")
    monkeypatch.chdir(root)
    approve(root)
    assert rflow("run", "--jobs", "2", "H-007").code == 0
    commit_all(root, "the registered repeats")
    return root


def _sneak(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", message)


def test_repeats_marked_failed_through_mlflow_leave_the_experiment_incomplete(
    own: Path, rflow
) -> None:
    from researchflow.base.frozen import replace
    from researchflow.documents.runlog import render_runs, utc_timestamp
    from researchflow.verdicts.evidence import parse_time

    git(own, "checkout", "-q", "-b", "hyp/H-007-graded-target")  # the merge request's branch
    group = _registered_group(own)
    worst = sorted(group, key=lambda run: run.metrics["accuracy"])[:3]
    client = _client(own)
    for run in worst:  # the attacker ends the three worst seeds FAILED, as MLflow allows
        client.set_terminated(run.run_id, status="FAILED")
    ended = {run.run_id: client.get_run(run.run_id).info.end_time for run in worst}
    path = own / FOLDER / "runs.yaml"
    entries = [
        replace(run, status="FAILED", ended=utc_timestamp(ended[run.run_id]))
        if run.run_id in ended
        else run
        for run in read_runs(path).runs
    ]
    assert all(parse_time(e.ended) for e in entries)
    path.write_text(render_runs("H-007", entries), encoding="utf-8")
    _sneak(own, "three repeats failed")
    assert rflow("report", "H-007").code == 0
    assert verdict_row(own)[8] == "**inconclusive**"  # the kept seven confirm nothing
    level = report_level(rflow)
    assert level["status"] == "fail"
    [problem] = [p for p in level["problems"] if p["field"] == "evaluation.repeats"]
    seed = min(run.repeat for run in worst)
    assert problem["message"].startswith(
        f"the confirmatory experiment {group[0].group} is incomplete, not a smaller sample: "
    )
    assert f"seed {seed} (run " in problem["message"] and "ended FAILED" in problem["message"]
    # runs.yaml was edited to agree with the store: git still holds the entry as recorded
    outcome = rflow("check", "H-007", "--json")
    [provenance] = [c for c in json.loads(outcome.stdout)["checks"] if c["check"] == "provenance"]
    assert any(
        p["field"].endswith(".status")
        and f"changes run {worst[0].run_id}'s status (FINISHED → FAILED) after rflow recorded it"
        in p["message"]
        for p in provenance["problems"]
    ), [p["field"] + ": " + p["message"] for p in provenance["problems"]]
    rerun = rerun_level(rflow, "--rerun")
    assert rerun["status"] == "fail"
    assert "cannot be rerun as registered: seed" in rerun["problems"][0]["message"]


def test_a_repeat_whose_metric_was_rewritten_after_it_ended_leaves_it_incomplete(
    own: Path, rflow
) -> None:
    group = _registered_group(own)
    worst = min(group, key=lambda run: run.metrics["accuracy"])
    _client(own).log_metric(worst.run_id, "accuracy", 0.9)
    assert rflow("report", "H-007").code == 0
    level = report_level(rflow)
    [problem] = [p for p in level["problems"] if p["field"] == "evaluation.repeats"]
    assert (
        f"seed {worst.repeat} (run {worst.run_id}) accuracy logged after the run ended"
        in problem["message"]
    )


def test_a_repeat_dropped_from_runs_yaml_is_a_missing_seed(own: Path, rflow) -> None:
    from researchflow.documents.runlog import render_runs

    group = _registered_group(own)
    worst = min(group, key=lambda run: run.metrics["accuracy"])
    _client(own).delete_run(worst.run_id)
    path = own / FOLDER / "runs.yaml"
    kept = [run for run in read_runs(path).runs if run.run_id != worst.run_id]
    path.write_text(render_runs("H-007", kept), encoding="utf-8")
    _sneak(own, "a repeat that never was")
    assert rflow("report", "H-007").code == 0
    level = report_level(rflow)
    [problem] = [p for p in level["problems"] if p["field"] == "evaluation.repeats"]
    assert f"seed {worst.repeat} is missing" in problem["message"]
