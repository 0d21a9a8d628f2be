"""Notebooks: executed with nbclient by `rflow check --execute-notebooks`, and the
`rflow-notebooks` pre-commit hook refusing notebooks run out of order."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fixtures.gate_plans import write_plan
from fixtures.notebooks import write_notebook
from support.git import git

from researchflow.checks.context import CheckOptions
from researchflow.checks.runner import run_checks
from researchflow.documents.config import load_config


def notebook_results(repo: Path, execute: bool):
    config = load_config(repo)
    folder = repo / "research" / "H-001-graded"
    report = run_checks(
        config, [("H-001", folder)], CheckOptions(execute_notebooks=execute), ("notebooks",)
    )
    return report.result("H-001", "notebooks")


def test_a_notebook_that_raises_fails_the_check_naming_its_cell(repo: Path) -> None:
    write_plan(repo)
    folder = repo / "research" / "H-001-graded"
    write_notebook(folder / "good.ipynb", ["x = 2", "assert x * 2 == 4"])
    write_notebook(folder / "bad.ipynb", ["x = 1", "raise ValueError('label leak')"])
    result = notebook_results(repo, execute=True)
    assert result.status == "fail"
    [problem] = result.problems
    assert problem.path == "research/H-001-graded/bad.ipynb"
    assert problem.field == "cells[1]"
    assert "ValueError: label leak" in problem.message


def test_without_execution_only_validity_is_checked(repo: Path) -> None:
    write_plan(repo)
    folder = repo / "research" / "H-001-graded"
    write_notebook(folder / "bad.ipynb", ["raise ValueError('never run')"])
    assert notebook_results(repo, execute=False).status == "pass"
    (folder / "broken.ipynb").write_text("{", encoding="utf-8")
    result = notebook_results(repo, execute=False)
    assert result.status == "fail"
    assert result.problems[0].path == "research/H-001-graded/broken.ipynb"


def test_a_notebook_found_valid_and_then_broken_fails_the_next_check(repo: Path) -> None:
    """The check remembers valid contents (.rflow/cache), never that a file was fine."""
    write_plan(repo)
    (repo / ".rflow").mkdir()
    folder = repo / "research" / "H-001-graded"
    write_notebook(folder / "analysis.ipynb", ["x = 1"])
    assert notebook_results(repo, execute=False).status == "pass"
    assert notebook_results(repo, execute=False).status == "pass"  # remembered
    text = (folder / "analysis.ipynb").read_text(encoding="utf-8")
    (folder / "analysis.ipynb").write_text(text.replace('"cells"', '"cellz"'), encoding="utf-8")

    result = notebook_results(repo, execute=False)

    assert result.status == "fail"
    assert result.problems[0].path == "research/H-001-graded/analysis.ipynb"


def test_a_hypothesis_without_notebooks_skips_the_level(repo: Path) -> None:
    write_plan(repo)
    result = notebook_results(repo, execute=True)
    assert result.status == "skip" and result.detail == "no notebooks"


def test_pre_commit_hook_refuses_a_notebook_run_out_of_order(repo: Path, rflow) -> None:
    assert rflow("init", "--no-dvc").code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "rflow init")
    subprocess.run(["pre-commit", "install"], cwd=repo, check=True, capture_output=True)
    folder = repo / "research" / "H-001-graded"
    write_notebook(folder / "explore.ipynb", ["a = 1", "b = a + 1"], [2, 1])
    git(repo, "add", "-A")
    refused = subprocess.run(
        ["git", "commit", "-qm", "notebook"], cwd=repo, capture_output=True, text=True
    )
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "research/H-001-graded/explore.ipynb:1: cells[1].execution_count" in output
    write_notebook(folder / "explore.ipynb", ["a = 1", "b = a + 1"], [1, 2])
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "notebook run in order")
