"""MLflow's wine example (examples/sklearn_elasticnet_wine/train.py), unmodified but for
reading its table from a DVC-tracked file: it registers `ElasticnetWineModel` on every run
against a database store. Planned, approved, run, reported and `check --rerun`: the rerun
reproduces, and the team's registry keeps the one version the real run made."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.experiment import dvc, failing, rflow_in, write_report
from fixtures.gate_plans import plan_text
from support.cli import run_in_process
from support.git import commit_all, git

WINE = """\
import sys
import warnings
from urllib.parse import urlparse

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
    warnings.filterwarnings("ignore")
    np.random.seed(40)
    data = pd.read_csv("data/wine-quality.csv", sep=";")
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

        mlflow.log_param("alpha", alpha)
        mlflow.log_param("l1_ratio", l1_ratio)
        mlflow.log_metric("rmse", rmse)
        mlflow.log_metric("r2", r2)
        mlflow.log_metric("mae", mae)

        predictions = lr.predict(train_x)
        signature = infer_signature(train_x, predictions)

        tracking_url_type_store = urlparse(mlflow.get_tracking_uri()).scheme
        if tracking_url_type_store != "file":
            mlflow.sklearn.log_model(
                lr, name="model", registered_model_name="ElasticnetWineModel", signature=signature
            )
        else:
            mlflow.sklearn.log_model(lr, name="model", signature=signature)
"""


def wine_table(path: Path) -> None:
    rows = ["fixed acidity;alcohol;quality"]
    for i in range(60):
        rows.append(f"{6 + (i % 7) * 0.3:.2f};{9 + (i % 5) * 0.5:.2f};{5 + (i % 3)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_the_wine_example_runs_reports_and_reproduces_with_one_registered_version(
    tmp_path: Path, monkeypatch
) -> None:
    from mlflow.tracking import MlflowClient

    repo, remote = tmp_path / "repo", tmp_path / "remote"
    remote.mkdir()
    git(tmp_path, "init", "-q", "--bare", str(tmp_path / "origin.git"))
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    monkeypatch.chdir(repo)
    assert rflow_in(repo, "init", "--no-install-hook") == 0
    (repo / "research" / "problem.qmd").unlink()  # no programme here, as in the experiment
    dvc(repo, "remote", "add", "-d", "storage", "../remote")
    wine_table(repo / "data" / "wine-quality.csv")
    dvc(repo, "add", "-q", "data/wine-quality.csv")
    dvc(repo, "push", "-q")
    (repo / "train.py").write_text(WINE, encoding="utf-8")
    commit_all(repo, "MLflow's wine example")
    git(repo, "checkout", "-q", "-b", "hyp/H-001-wine")
    folder = repo / "research" / "H-001-wine"
    folder.mkdir(parents=True)
    plan = plan_text("H-001", metric="r2", baseline=-100.0, data="[data/wine-quality.csv]")
    (folder / "plan.qmd").write_text(plan, encoding="utf-8")
    commit_all(repo, "H-001: plan")
    approved = run_in_process(["approve", "H-001"], cwd=repo, env={"RFLOW_USER": "dave"})
    assert approved.code == 0, approved.stderr
    commit_all(repo, "H-001: approved", author="dave")

    assert rflow_in(repo, "run", "H-001") == 0
    commit_all(repo, "H-001: run")
    assert rflow_in(repo, "report", "H-001") == 0
    write_report(folder / "report.qmd")
    commit_all(repo, "H-001: report")
    outcome = run_in_process(["check", "H-001", "--rerun", "--json"], cwd=repo)

    result = json.loads(outcome.stdout)
    assert outcome.code == 0, failing(result)
    rerun = next(c for c in result["checks"] if c["check"] == "rerun")
    assert rerun["status"] == "pass" and "r2=" in rerun["detail"]
    team = MlflowClient(registry_uri=f"sqlite:///{repo / '.rflow' / 'mlflow.db'}")
    versions = team.search_model_versions("name='ElasticnetWineModel'")
    assert [str(v.version) for v in versions] == ["1"]  # the real run's; the rerun's went aside
