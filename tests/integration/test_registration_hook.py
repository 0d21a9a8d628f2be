"""The rflow-registration hook, through real pre-commit, guards an approved plan."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.plans import write_plan
from support.git import git
from support.tools import require


@pytest.fixture(autouse=True)
def _needs_rflow_and_pre_commit() -> None:
    require("rflow", "rflow is not on PATH (pip install -e '.[test]' in the active venv)")
    require("pre-commit", "pre-commit is not on PATH (pip install -e '.[test]')")


PLAN = "research/H-007-graded-target/plan.qmd"


def commit(root: Path, message: str) -> subprocess.CompletedProcess[str]:
    git(root, "add", "-A")
    return subprocess.run(
        ["git", "commit", "-q", "-m", message],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def commit_approved_plan_then_install_hooks(repo: Path, rflow, monkeypatch) -> Path:
    """An approved H-007 committed, then the hooks installed: the next commit is guarded."""
    assert rflow("init", "--no-dvc").code == 0
    (repo / "research" / "problem.qmd").unlink()  # no programme to agree first
    path = write_plan(repo)
    monkeypatch.setenv("RFLOW_USER", "dave")
    assert rflow("approve", "H-007").code == 0
    assert commit(repo, "approved plan").returncode == 0
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=repo, check=True, capture_output=True
    )
    return path


def test_changed_prediction_after_approval_needs_a_deviation(
    repo: Path, rflow, monkeypatch
) -> None:
    assert rflow("init", "--no-dvc").code == 0
    (repo / "research" / "problem.qmd").unlink()  # no programme to agree first
    assert "id: rflow-registration" in (repo / ".pre-commit-config.yaml").read_text()
    path = write_plan(repo)
    assert commit(repo, "plan H-007 for review").returncode == 0
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=repo, check=True, capture_output=True
    )

    monkeypatch.setenv("RFLOW_USER", "dave")
    assert rflow("approve", "H-007").code == 0
    approved = commit(repo, "approve H-007")
    assert approved.returncode == 0, approved.stdout + approved.stderr

    path.write_text(
        path.read_text(encoding="utf-8").replace("min_effect: 0.02", "min_effect: 0.03"),
        encoding="utf-8",
    )
    blocked = commit(repo, "raise the bar")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    problems = [line for line in output.splitlines() if line.startswith(PLAN)]
    assert len(problems) == 1
    assert "approval.digest: registered content changed after approval" in problems[0]
    assert "rflow deviate" in problems[0]
    assert "Traceback" not in output
    assert git(repo, "log", "-1", "--format=%s").strip() == "approve H-007"

    monkeypatch.setenv("RFLOW_USER", "alice")
    # a deviation may tighten a prediction (never loosen it)
    assert rflow("deviate", "H-007", "--reason", "two points is too easy").code == 0
    passed = commit(repo, "raise the bar, with a deviation")
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_changes_outside_registered_content_pass(repo: Path, rflow, monkeypatch) -> None:
    path = commit_approved_plan_then_install_hooks(repo, rflow, monkeypatch)
    path.write_text(
        path.read_text(encoding="utf-8").replace("Label noise", "Label noise, and seasonality,"),
        encoding="utf-8",
    )
    done = commit(repo, "one more risk")
    assert done.returncode == 0, done.stdout + done.stderr


def test_hand_edited_approval_digest_is_blocked(repo: Path, rflow, monkeypatch) -> None:
    path = commit_approved_plan_then_install_hooks(repo, rflow, monkeypatch)
    # change a prediction and "fix" the digest by hand to match: the record was forged
    from researchflow.documents.config import SectionsConfig
    from researchflow.documents.document import parse_document
    from researchflow.documents.registration import digest

    text = path.read_text(encoding="utf-8").replace("min_effect: 0.02", "min_effect: 0.01")
    old = parse_document(text).front_matter["approval"]["digest"]
    text = text.replace(old, digest(parse_document(text), SectionsConfig()))
    path.write_text(text, encoding="utf-8")
    blocked = commit(repo, "quietly lower the bar")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    assert f"{PLAN}:" in output and "approval: the recorded approval was edited" in output
