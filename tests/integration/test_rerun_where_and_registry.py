"""A rerun runs where the run ran (its working folder) and registers no model version in
the team's registry."""

from __future__ import annotations

from fixtures.experiment import HYPOTHESIS, Experiment, failing, write_report
from support.cli import run_in_process

SUB_TRAIN = """\
import os
from pathlib import Path

from mlflow.tracking import MlflowClient

values = [float(line) for line in Path("../data/numbers.csv").read_text().split()]
MlflowClient().log_metric(os.environ["MLFLOW_RUN_ID"], "score", 2 * sum(values) / len(values))
"""

REGISTERING = """\
import os

import mlflow
import mlflow.pyfunc

mlflow.log_metric("score", 2.0)


class Constant(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input


mlflow.pyfunc.log_model(name="model", python_model=Constant(), registered_model_name="wine")
"""


def rerun_passes(experiment: Experiment) -> dict:
    assert run_in_process(["report", HYPOTHESIS, "--update"], cwd=experiment.repo).code == 0
    write_report(experiment.folder / "report.qmd")
    experiment.commit("H-001: report")
    return experiment.check("--rerun")


def test_a_run_started_in_a_subfolder_is_rerun_in_that_subfolder(experiment: Experiment) -> None:
    sub = experiment.repo / "sub"
    sub.mkdir()
    (sub / "train.py").write_text(SUB_TRAIN, encoding="utf-8")  # twice the root script's
    experiment.commit("a variant that runs from sub/")

    outcome = run_in_process(["run", HYPOTHESIS], cwd=sub)
    experiment.commit("H-001: run from sub/")

    assert outcome.code == 0, outcome.stderr
    entry = experiment.runs()[-1]
    assert entry.cwd == "sub" and entry.metrics == {"score": 4.0}
    result = rerun_passes(experiment)
    assert result["code"] == 0, failing(result)


def test_a_rerun_registers_no_model_version_in_the_teams_registry(experiment: Experiment) -> None:
    from mlflow.tracking import MlflowClient

    (experiment.repo / "train.py").write_text(REGISTERING, encoding="utf-8")
    experiment.commit("train.py registers its model, as MLflow's wine example does")
    assert run_in_process(["run", HYPOTHESIS], cwd=experiment.repo).code == 0
    experiment.commit("H-001: a run that registered wine v1")

    result = rerun_passes(experiment)

    assert result["code"] == 0, failing(result)
    team = MlflowClient(registry_uri=f"sqlite:///{experiment.repo / '.rflow' / 'mlflow.db'}")
    assert [str(v.version) for v in team.search_model_versions("name='wine'")] == ["1"]
    aside = experiment.repo / ".rflow" / "rerun-registry.db"
    assert MlflowClient(registry_uri=f"sqlite:///{aside}").search_model_versions("name='wine'")
