"""`rflow diff RUN_A RUN_B` on the real store of a finished experiment."""

from __future__ import annotations

import json
import re

import pytest
from fixtures.experiment import HYPOTHESIS, Experiment
from support.cli import run_in_process

pytestmark = pytest.mark.slow


def _second_run(experiment: Experiment) -> tuple[str, str]:
    """A later exploratory run on changed code; returns (confirmatory, later) run IDs."""
    first = experiment.runs()[0].run_id
    train = experiment.repo / "train.py"
    train.write_text(train.read_text().replace("FACTOR = 1.0", "FACTOR = 1.5"), "utf-8")
    experiment.commit("train harder")
    outcome = run_in_process(["run", HYPOTHESIS, "--", "python", "train.py"])
    assert outcome.code == 0, outcome.stderr
    return first, experiment.runs()[-1].run_id


def test_diff_names_the_metric_change_the_command_and_the_code(experiment: Experiment) -> None:
    first, later = _second_run(experiment)

    outcome = run_in_process(["diff", first, later])

    assert outcome.code == 0, outcome.stderr
    text = outcome.stdout
    assert f"A {first}" in text and f"B {later}" in text
    assert "score  2.0 → 3.0  (+1)" in text  # mean of 1,2,3 times FACTOR
    assert re.search(r"train\.py +\| +2 \+-", text)  # the code changed between the commits
    assert "commit" in text


def test_diff_json_gives_each_difference_with_its_delta(experiment: Experiment) -> None:
    first, later = _second_run(experiment)

    outcome = run_in_process(["diff", first, later, "--json"])

    data = json.loads(outcome.stdout)
    metric = next(d for d in data["differences"] if d["section"] == "metrics")
    assert (metric["name"], metric["a"], metric["b"], metric["delta"]) == (
        "score",
        "2.0",
        "3.0",
        1.0,
    )
    assert any(d["name"] == "commit" for d in data["differences"])
    assert data["identical"] is False


def test_a_run_against_itself_differs_in_nothing(experiment: Experiment) -> None:
    run_id = experiment.runs()[0].run_id

    outcome = run_in_process(["diff", run_id, run_id])

    assert outcome.code == 0
    assert "no difference in" in outcome.stdout


def test_an_unknown_run_is_one_line_naming_the_store(experiment: Experiment) -> None:
    run_id = experiment.runs()[0].run_id

    outcome = run_in_process(["diff", run_id, "0" * 32])

    assert outcome.code == 2
    assert outcome.stderr.count("\n") == 1
    assert f"run {'0' * 32}: not in the store at" in outcome.stderr
    assert "MLFLOW_TRACKING_URI" in outcome.stderr
