"""Level 7, render: `quarto render` succeeds for the plan and the report.

Quarto is optional: without it the level is skipped, unless `quarto.required` is set in
the config, in which case its absence fails the check. Output goes to a throwaway folder,
so a check leaves the repository as it was.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from researchflow.base.errors import CheckFailed
from researchflow.base.names import CONFIG_FILE
from researchflow.base.problems import Problem
from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged, skipped

LEVEL = "render"


def check(ctx: HypothesisContext) -> CheckResult:
    from researchflow.adapters import quarto

    if not quarto.is_installed():
        if ctx.config.quarto.required:
            problem = Problem(
                ctx.config.source or CONFIG_FILE,
                1,
                "quarto.required",
                "Quarto is required but not installed",
                "install Quarto (https://quarto.org) or set quarto.required: false",
            )
            return judged(ctx.id, LEVEL, [problem])
        return skipped(ctx.id, LEVEL, "Quarto is not installed")
    documents = [p for p in (ctx.plan_path, ctx.report_path) if p.is_file()]
    problems: list[Problem] = []
    for document in documents:
        with tempfile.TemporaryDirectory(prefix="rflow-render-") as output:
            argv = quarto.render_argv(
                document, to=ctx.plan.format, execute_dir=ctx.config.root, output_dir=Path(output)
            )
            try:
                quarto.render(argv, cwd=ctx.config.root)
            except CheckFailed as error:
                problems.append(
                    Problem(
                        ctx.rel(document.name),
                        1,
                        "render",
                        str(error),
                        f"run `rflow render {ctx.id}` to see Quarto's full output",
                    )
                )
    return judged(ctx.id, LEVEL, problems, f"{len(documents)} document(s) rendered")
