"""Level 7, render: `quarto render` succeeds for the plan and the report.

Quarto is optional: without it the level is skipped, unless `quarto.required` is set in
the config, in which case its absence fails the check.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged, skipped
from researchflow.problems import Problem

LEVEL = "render"


def quarto_binary() -> str | None:
    return shutil.which("quarto")


def render_argv(quarto: str, document: Path, output_dir: Path) -> list[str]:
    """`quarto render` of one document into a throwaway folder (the repo stays clean)."""
    return [quarto, "render", str(document), "--output-dir", str(output_dir)]


def check(ctx: HypothesisContext) -> CheckResult:
    quarto = quarto_binary()
    if quarto is None:
        if ctx.config.quarto.required:
            problem = Problem(
                ctx.config.source or "researchflow.yaml",
                1,
                "quarto.required",
                "Quarto is required but not installed",
                "install Quarto (https://quarto.org) or set quarto.required: false",
            )
            return judged(ctx.id, LEVEL, [problem])
        return skipped(ctx.id, LEVEL, "Quarto is not installed")
    documents = [p for p in (ctx.plan_path, ctx.report_path) if p.is_file()]
    problems: list[Problem] = []
    from researchflow.adapters.process import run

    for document in documents:
        with tempfile.TemporaryDirectory(prefix="rflow-render-") as output:
            result = run(
                render_argv(quarto, document, Path(output)), cwd=document.parent, check=False
            )
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            problems.append(
                Problem(
                    ctx.rel(document.name),
                    1,
                    "render",
                    f"quarto render failed: {lines[-1] if lines else 'no output'}",
                    f"run `rflow render {ctx.id}` to see the full output",
                )
            )
    return judged(ctx.id, LEVEL, problems, f"{len(documents)} document(s) rendered")
