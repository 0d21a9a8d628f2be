"""Real pre-commit in a real repository blocks a commit with a broken plan."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.plans import GOOD_FRONT_MATTER, plan_text, write_plan
from support.git import git
from support.tools import require


@pytest.fixture(autouse=True)
def _needs_pre_commit() -> None:
    require("pre-commit", "pre-commit is not on PATH (pip install -e '.[test]')")


def commit(root: Path, message: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-m", message], cwd=root, capture_output=True, text=True, check=False
    )


def test_broken_plan_is_blocked_and_good_plan_passes(repo: Path, rflow) -> None:
    assert shutil.which("rflow"), "the rflow entry point must be on PATH"
    assert rflow("init", "--no-dvc").code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "rflow init")
    subprocess.run(["pre-commit", "install"], cwd=repo, check=True, capture_output=True)

    broken = GOOD_FRONT_MATTER.replace("effort: 3", "effort: 8")
    path = write_plan(repo, "H-007", text=plan_text(front_matter=broken))
    git(repo, "add", "-A")
    blocked = commit(repo, "add plan")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    assert (
        "research/H-007-graded-target/plan.qmd:8: rice.effort: 8 is out of range "
        "(use a whole number 1..5)" in output
    )
    assert "Traceback" not in output
    assert git(repo, "log", "--format=%s", "-1").strip() == "rflow init"

    path.write_text(plan_text(), encoding="utf-8")
    git(repo, "add", "-A")
    passed = commit(repo, "add plan")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert git(repo, "log", "--format=%s", "-1").strip() == "add plan"
    assert os.path.exists(repo / ".git" / "hooks" / "pre-commit")
