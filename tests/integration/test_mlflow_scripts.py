"""Plain MLflow scripts under `rflow run`, as they are: MLflow's scikit-learn ElasticNet
example (`mlflow.start_run()` with no run ID, `log_model`), `mlflow.autolog()`, and nested
runs. Each lands in rflow's run; nothing lands in the working tree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.git import git

# MLflow's examples/sklearn_elasticnet_wine/train.py, on a small made-up wine table
ELASTICNET = """\
import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

import mlflow
import mlflow.sklearn
from mlflow.models import infer_signature


def eval_metrics(actual, pred):
    rmse = np.sqrt(mean_squared_error(actual, pred))
    mae = mean_absolute_error(actual, pred)
    r2 = r2_score(actual, pred)
    return rmse, mae, r2


if __name__ == "__main__":
    np.random.seed(40)
    data = pd.read_csv("wine-quality.csv")
    train, test = train_test_split(data)
    train_x = train.drop(["quality"], axis=1)
    test_x = test.drop(["quality"], axis=1)
    train_y = train[["quality"]]
    test_y = test[["quality"]]

    alpha = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    l1_ratio = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5

    with mlflow.start_run():
        lr = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=42)
        lr.fit(train_x, train_y)
        predicted_qualities = lr.predict(test_x)
        (rmse, mae, r2) = eval_metrics(test_y, predicted_qualities)
        print(f"Elasticnet model (alpha={alpha:f}, l1_ratio={l1_ratio:f}): RMSE {rmse}")

        mlflow.log_param("alpha", alpha)
        mlflow.log_param("l1_ratio", l1_ratio)
        mlflow.log_metric("rmse", rmse)
        mlflow.log_metric("r2", r2)
        mlflow.log_metric("mae", mae)

        with mlflow.start_run(nested=True):
            mlflow.log_metric("fold_rmse", rmse)

        signature = infer_signature(train_x, predicted_qualities)
        mlflow.sklearn.log_model(lr, name="model", signature=signature)
"""

AUTOLOG = """\
import numpy as np
from sklearn.linear_model import LinearRegression

import mlflow

mlflow.autolog()
X = np.array([[1.0], [2.0], [3.0], [4.0]])
LinearRegression().fit(X, 2 * X[:, 0] + 1)
"""


def wine_table(path: Path) -> None:
    rows = ["fixed acidity,alcohol,quality"]
    for i in range(40):
        rows.append(f"{6 + (i % 7) * 0.3:.2f},{9 + (i % 5) * 0.5:.2f},{5 + (i % 3)}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def experiment_runs(repo: Path):
    from mlflow.tracking import MlflowClient

    from researchflow.documents.config import load_config, tracking_uri

    client = MlflowClient(tracking_uri(load_config(repo)))
    experiment = client.get_experiment_by_name(repo.name)
    return client, client.search_runs([experiment.experiment_id])


def changed(repo: Path) -> list[str]:
    out = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted(line[3:] for line in out.splitlines())


def test_elasticnet_example_lands_in_rflows_run_and_leaves_the_tree_clean(
    runs_repo: Path, rflow
) -> None:
    (runs_repo / "train.py").write_text(ELASTICNET, encoding="utf-8")
    wine_table(runs_repo / "wine-quality.csv")
    git(runs_repo, "add", "-A")
    git(runs_repo, "commit", "-q", "-m", "the ElasticNet example")

    outcome = rflow("run", "H-001", "--", sys.executable, "train.py", "0.4", "0.6")

    assert outcome.code == 0, outcome.stderr
    from researchflow.documents.runlog import read_runs

    [entry] = read_runs(runs_repo / "research/H-001-demo/runs.yaml").runs
    _client, runs = experiment_runs(runs_repo)
    by_id = {run.info.run_id: run for run in runs}
    own = by_id[entry.run_id]
    assert {"rmse", "r2", "mae"} <= set(own.data.metrics)
    assert own.data.params["alpha"] == "0.4"
    # the nested run is a child of rflow's run, and rflow names it
    [child] = [r for r in runs if r.info.run_id != entry.run_id]
    assert child.data.tags["mlflow.parentRunId"] == entry.run_id
    assert "1 nested run(s) the command opened are children of this run" in outcome.stderr
    # log_model wrote the model beside the embedded store, not into the repository
    assert list((runs_repo / ".rflow" / "artifacts").rglob("MLmodel"))
    assert changed(runs_repo) == ["research/H-001-demo/runs.yaml"]


def test_autolog_lands_in_rflows_run(runs_repo: Path, rflow) -> None:
    (runs_repo / "fit.py").write_text(AUTOLOG, encoding="utf-8")
    git(runs_repo, "add", "-A")
    git(runs_repo, "commit", "-q", "-m", "an autologged fit")

    outcome = rflow("run", "H-001", "--", sys.executable, "fit.py")

    assert outcome.code == 0, outcome.stderr
    from researchflow.documents.runlog import read_runs

    [entry] = read_runs(runs_repo / "research/H-001-demo/runs.yaml").runs
    _client, runs = experiment_runs(runs_repo)
    assert [run.info.run_id for run in runs] == [entry.run_id]
    [run] = runs
    assert "training_score" in run.data.metrics
    assert run.data.params["fit_intercept"] == "True"
    assert changed(runs_repo) == ["research/H-001-demo/runs.yaml"]


def test_plots_reach_a_tracking_server_through_its_artifact_proxy(
    mlflow_server: str, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    from researchflow.adapters.mlflow import open_store

    store = open_store(mlflow_server)
    experiment = store.experiment_id("plots")
    run_id = store.create_run(experiment, {}, 0)
    plot = tmp_path / "roc.json"
    plot.write_text('{"fpr": [0, 1], "tpr": [0, 1]}', encoding="utf-8")

    store.log_artifacts(run_id, [(plot, "eval/plots")])

    client = MlflowClient(mlflow_server)
    assert [a.path for a in client.list_artifacts(run_id, "eval/plots")] == ["eval/plots/roc.json"]
    downloaded = client.download_artifacts(run_id, "eval/plots/roc.json", str(tmp_path / "d"))
    assert Path(downloaded).read_text(encoding="utf-8") == plot.read_text(encoding="utf-8")
