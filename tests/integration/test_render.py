"""`rflow render`: a clear message without Quarto, a rendered plan with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fixtures.plans import write_plan

HAS_QUARTO = shutil.which("quarto") is not None


@pytest.mark.skipif(HAS_QUARTO, reason="Quarto is installed here")
def test_render_without_quarto_says_how_to_install_it(repo: Path, rflow) -> None:
    write_plan(repo)
    outcome = rflow("render", "H-007")
    assert outcome.code == 2
    assert len(outcome.stderr.strip().splitlines()) == 1
    assert "Quarto is not installed" in outcome.stderr
    assert "quarto.org" in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_render_of_a_missing_report_is_named(repo: Path, rflow) -> None:
    write_plan(repo)
    outcome = rflow("render", "H-007", "--only", "report")
    assert outcome.code == 2
    assert "report.qmd: not found" in outcome.stderr


@pytest.mark.skipif(not HAS_QUARTO, reason="Quarto is not installed (quarto.org)")
def test_render_writes_the_plan_into_the_output_folder(repo: Path, rflow) -> None:
    write_plan(repo)
    outcome = rflow("render", "H-007", "--only", "plan", "--to", "html")
    assert outcome.code == 0, outcome.stderr
    assert (repo / ".rflow" / "render" / "H-007-graded-target" / "plan.html").is_file()
