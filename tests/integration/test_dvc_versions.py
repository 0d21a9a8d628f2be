"""Data versions from a real DVC repository: files, directories, past revisions, presence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from fixtures.dvc_repo import dvc
from support.git import git

from researchflow.adapters.dvc import data_versions, is_available
from researchflow.documents.runlog import read_runs


def recorded(path: Path, key: str = "outs", stage: str | None = None) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = data["stages"][stage]["outs"] if stage else data[key]
    return entries[0]["md5"]


def test_versions_of_a_file_a_directory_and_a_stage_output_match_dvc(dvc_repo: Path) -> None:
    versions = data_versions(dvc_repo)

    assert versions == {
        "data/raw.csv": recorded(dvc_repo / "data/raw.csv.dvc"),
        "data/images": recorded(dvc_repo / "data/images.dvc"),
        "data/prepared.csv": recorded(dvc_repo / "dvc.lock", stage="prepare"),
    }
    assert versions["data/images"].endswith(".dir")


def test_versions_at_an_older_commit_come_from_git_without_a_checkout(dvc_repo: Path) -> None:
    old_commit = git(dvc_repo, "rev-parse", "HEAD").strip()
    old = data_versions(dvc_repo)
    (dvc_repo / "data/raw.csv").write_text("id,label\n1,cat\n2,dog\n3,eel\n", encoding="utf-8")
    dvc(dvc_repo, "add", "-q", "data/raw.csv")
    git(dvc_repo, "commit", "-q", "-am", "more data")

    assert data_versions(dvc_repo, rev=old_commit) == old
    assert data_versions(dvc_repo)["data/raw.csv"] != old["data/raw.csv"]
    assert "3,eel" in (dvc_repo / "data/raw.csv").read_text(encoding="utf-8")


def test_versions_can_be_limited_to_the_plans_paths(dvc_repo: Path) -> None:
    assert set(data_versions(dvc_repo, ["data/images/a.txt", "data/raw.csv"])) == {
        "data/images",
        "data/raw.csv",
    }


def test_data_is_available_from_the_cache_then_from_the_remote(dvc_repo: Path) -> None:
    versions = data_versions(dvc_repo)
    assert all(is_available(dvc_repo, p, md5) for p, md5 in versions.items())

    shutil.rmtree(dvc_repo / ".dvc" / "cache")
    assert is_available(dvc_repo, "data/images", versions["data/images"])  # pushed: remote
    assert not is_available(dvc_repo, "data/raw.csv", "0" * 32)

    shutil.rmtree(dvc_repo.parent / "remote")
    assert not is_available(dvc_repo, "data/raw.csv", versions["data/raw.csv"])


def test_run_tags_every_dvc_tracked_input(
    dvc_repo: Path, mlflow_server: str, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)

    outcome = rflow("run", "H-001", "--", "true")

    assert outcome.code == 0, outcome.stderr
    (entry,) = read_runs(dvc_repo / "research/H-001-demo/runs.yaml").runs
    # the prepare stage's output is the pipeline's own product, never an input
    inputs = {p: md5 for p, md5 in data_versions(dvc_repo).items() if p != "data/prepared.csv"}
    assert entry.data == inputs
    assert "data/prepared.csv" in data_versions(dvc_repo)
    tags = MlflowClient(tracking_uri=mlflow_server).get_run(entry.run_id).data.tags
    assert tags["rflow.data.data/images"] == recorded(dvc_repo / "data/images.dvc")
    assert tags["rflow.data.data/raw.csv"] == recorded(dvc_repo / "data/raw.csv.dvc")
