"""The CI template, run by gitlab-ci-local as a GitLab runner would run it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support.git import git


@pytest.fixture
def mr_repo(repo: Path, tmp_path: Path, rflow) -> Path:
    """A repository with the CI job, pushed to a bare origin, on a hypothesis branch."""
    assert rflow("init", "--no-dvc", "--gitlab-ci", "--no-install-hook").code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "rflow init --gitlab-ci")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "-b", "hyp/H-001-broken")
    return repo


def test_push_pipelines_do_not_run_the_gate(mr_repo: Path, gitlab_ci_local) -> None:
    (mr_repo / "research" / "H-001-broken").mkdir(parents=True)
    (mr_repo / "research" / "H-001-broken" / "plan.qmd").write_text("---\n", encoding="utf-8")
    git(mr_repo, "add", "-A")
    git(mr_repo, "commit", "-qm", "plan")
    outcome = gitlab_ci_local(mr_repo, source_event="push")
    assert outcome.code == 0, outcome.output
    assert "pipeline finished" in outcome.output
    assert "rflow-check starting" not in outcome.output
    assert not (mr_repo / "rflow-junit.xml").exists()


def test_a_broken_plan_fails_the_job_and_the_junit_names_the_plan_check(
    mr_repo: Path, gitlab_ci_local
) -> None:
    (mr_repo / "research" / "H-001-broken").mkdir(parents=True)
    (mr_repo / "research" / "H-001-broken" / "plan.qmd").write_text("---\n", encoding="utf-8")
    git(mr_repo, "add", "-A")
    git(mr_repo, "commit", "-qm", "plan")
    outcome = gitlab_ci_local(mr_repo)
    assert outcome.code != 0, outcome.output
    assert "FAIL  rflow-check" in outcome.output
    cases = ET.parse(mr_repo / "rflow-junit.xml").getroot().findall(".//testcase")
    failing = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failing == ["H-001 plan"]
    assert (mr_repo / "rflow-summary.md").read_text(encoding="utf-8").startswith("<!--")


def test_the_job_passes_a_good_hypothesis_and_fails_a_tampered_one(
    experiment, gitlab_ci_local
) -> None:
    from researchflow.documents.config import load_config, tracking_uri

    store = {"MLFLOW_TRACKING_URI": tracking_uri(load_config(experiment.repo))}
    good = gitlab_ci_local(experiment.repo, variables=store)
    assert good.code == 0, good.output
    assert "PASS  rflow-check" in good.output
    junit = ET.parse(experiment.repo / "rflow-junit.xml").getroot()
    assert junit.get("failures") == "0"
    assert "H-001 rerun" in {c.get("name") for c in junit.iter("testcase")}

    git(experiment.repo, "checkout", "-q", "-b", "hyp/H-001-tampered")
    report = experiment.folder / "report.qmd"
    honest = report.read_text()
    forged = honest.replace("| 2 | 1 | +1 |", "| 2.4 | 1 | +1.4 |")  # observed | n | effect
    assert forged != honest, "the results block no longer has the row this test forges"
    report.write_text(forged)
    experiment.commit("H-001: a better number")
    tampered = gitlab_ci_local(experiment.repo, variables=store)
    assert tampered.code != 0, tampered.output
    assert "FAIL  rflow-check" in tampered.output
    cases = ET.parse(experiment.repo / "rflow-junit.xml").getroot().iter("testcase")
    failures = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert list(failures) == ["H-001 report"], {k: v.text for k, v in failures.items()}
    assert failures["H-001 report"].get("message").startswith("report check failed")
