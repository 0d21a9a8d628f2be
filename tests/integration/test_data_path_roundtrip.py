"""A data path with `+`, `(` and spaces survives the store: `rflow run` and `rflow link`
both write the real path into runs.yaml, the tag decodes to it, and provenance passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.experiment import dvc, rflow_in, write_report
from fixtures.gate_plans import plan_text
from support.cli import inside, run_in_process
from support.git import commit_all, git

PATH = "data/raw+clean (v2).csv"
FOLDER = "research/H-001-graded"
TRAIN = """\
import os
from pathlib import Path

from mlflow.tracking import MlflowClient

values = [float(line) for line in Path("data/raw+clean (v2).csv").read_text().split()]
MlflowClient().log_metric(os.environ["MLFLOW_RUN_ID"], "score", sum(values) / len(values))
"""


@pytest.fixture
def odd_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An approved hypothesis whose only data file has an awkward name, pushed to a remote."""
    repo, remote = tmp_path / "repo", tmp_path / "remote"
    remote.mkdir()
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    monkeypatch.chdir(repo)
    assert rflow_in(repo, "init") == 0
    (repo / "research" / "problem.qmd").unlink()  # no programme to agree first
    dvc(repo, "remote", "add", "-d", "storage", "../remote")
    (repo / "data").mkdir()
    (repo / PATH).write_text("1\n2\n3\n", encoding="utf-8")
    dvc(repo, "add", "-q", PATH)
    dvc(repo, "push", "-q")
    (repo / "train.py").write_text(TRAIN, encoding="utf-8")
    git(repo, "checkout", "-q", "-b", "hyp/H-001-graded")
    (repo / FOLDER).mkdir(parents=True)
    plan = plan_text("H-001", data=f"['{PATH}']")
    (repo / FOLDER / "plan.qmd").write_text(plan, encoding="utf-8")
    commit_all(repo, "data, script and plan")
    assert rflow_in(repo, "approve", "H-001", RFLOW_USER="dave") == 0
    commit_all(repo, "approved", author="dave")
    return repo


def provenance(repo: Path) -> dict:
    result = json.loads(run_in_process(["check", "H-001", "--json"], cwd=repo).stdout)
    return next(c for c in result["checks"] if c["check"] == "provenance")


def test_run_and_link_record_the_real_path_and_pass_provenance(odd_data: Path) -> None:
    from mlflow.tracking import MlflowClient

    import researchflow
    from researchflow.documents.config import load_config, tracking_uri
    from researchflow.documents.runlog import read_runs
    from researchflow.runs.tags import data_from_tags

    assert rflow_in(odd_data, "run", "H-001") == 0  # the registered `python train.py`
    commit_all(odd_data, "a run")
    # evidence only when it ran the registered command (the store's rflow.command tag)
    # the Python API holds the same role rule as `rflow run`: the executor makes it
    with (
        inside(None, {"RFLOW_USER": "carol"}),
        researchflow.run("H-001", command=["python", "train.py"], record=False) as run,
    ):
        pass
    assert rflow_in(odd_data, "link", "H-001", run.run_id) == 0
    commit_all(odd_data, "a linked run")

    entries = read_runs(odd_data / FOLDER / "runs.yaml").runs
    assert [e.source for e in entries] == ["run", "link"]
    for entry in entries:
        assert list(entry.data) == [PATH]
    client = MlflowClient(tracking_uri(load_config(odd_data)))
    for entry in entries:
        tags = client.get_run(entry.run_id).data.tags
        assert data_from_tags(tags) == entry.data
    assert rflow_in(odd_data, "report", "H-001") == 0  # the runs become evidence
    write_report(odd_data / "research" / "H-001-graded" / "report.qmd")  # its own sections
    commit_all(odd_data, "report")
    check = provenance(odd_data)
    assert check["status"] == "pass", check["problems"]
    assert "2 used as evidence" in check["detail"]
