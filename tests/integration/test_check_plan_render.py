"""The plan level (strict: drafts too) and the render level (Quarto optional)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fixtures.gate_plans import plan_text, write_plan

from researchflow.checks.context import CheckOptions
from researchflow.checks.runner import run_checks
from researchflow.documents.config import load_config


def level(repo: Path, name: str, hypothesis: str = "H-001"):
    folder = next((repo / "research").glob(f"{hypothesis}-*"))
    report = run_checks(load_config(repo), [(hypothesis, folder)], CheckOptions(), (name,))
    return report.result(hypothesis, name)


def test_a_written_plan_passes_the_plan_check(repo: Path) -> None:
    write_plan(repo)
    assert level(repo, "plan").status == "pass"


def test_a_draft_with_template_text_fails_the_plan_check(repo: Path) -> None:
    sections = plan_text().split("---\n", 2)[2].replace("The toy data", "TODO: the toy data")
    write_plan(repo, status="draft", sections=sections)
    result = level(repo, "plan")
    assert result.status == "fail"
    assert [p.field for p in result.problems] == ["## Risks"]
    assert "placeholder" in result.problems[0].message


def test_executor_who_is_the_author_without_a_reason_fails(repo: Path) -> None:
    write_plan(repo, executor="alice")
    result = level(repo, "plan")
    assert result.status == "fail"
    assert [p.field for p in result.problems] == ["roles.executor"]


def test_missing_plan_file_fails_and_skips_the_rest(repo: Path) -> None:
    (repo / "research" / "H-001-lost").mkdir(parents=True)
    folder = repo / "research" / "H-001-lost"
    report = run_checks(load_config(repo), [("H-001", folder)], CheckOptions(), ("plan", "render"))
    assert report.result("H-001", "plan").problems[0].field == "file"
    assert report.result("H-001", "render").status == "skip"


@pytest.mark.skipif(shutil.which("quarto") is not None, reason="Quarto is installed here")
def test_render_is_skipped_without_quarto(repo: Path) -> None:
    write_plan(repo)
    result = level(repo, "render")
    assert result.status == "skip" and "Quarto is not installed" in result.detail


@pytest.mark.skipif(shutil.which("quarto") is not None, reason="Quarto is installed here")
def test_render_fails_without_quarto_when_the_config_requires_it(repo: Path) -> None:
    (repo / "researchflow.yaml").write_text("quarto:\n  required: true\n", encoding="utf-8")
    write_plan(repo)
    result = level(repo, "render")
    assert result.status == "fail"
    assert result.problems[0].field == "quarto.required"


@pytest.mark.skipif(shutil.which("quarto") is None, reason="Quarto is not installed")
def test_render_passes_for_a_written_plan_with_quarto(repo: Path) -> None:
    write_plan(repo)
    assert level(repo, "render").status == "pass"
