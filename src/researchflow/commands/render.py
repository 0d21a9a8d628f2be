"""`rflow render`: the hypothesis's plan and report through `quarto render`."""

from __future__ import annotations

from pathlib import Path

from researchflow.adapters import quarto
from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen
from researchflow.base.names import PLAN_FILE, REPORT_FILE
from researchflow.base.output import fields_json
from researchflow.documents.config import Config
from researchflow.documents.project import shown_path
from researchflow.process.hypotheses import plan_path, read_plan_file, resolve_hypothesis

DOCUMENTS = ("plan", "report")


@frozen
class RenderResult:
    hypothesis_id: str
    documents: tuple[str, ...]
    output_dir: str
    format: str

    def to_json(self) -> dict[str, object]:
        return fields_json(self, hypothesis_id="id")

    def to_text(self) -> str:
        rendered = ", ".join(self.documents)
        return f"{self.hypothesis_id}: rendered {rendered} as {self.format} into {self.output_dir}"


def default_output_dir(config: Config, folder: Path) -> Path:
    """Rendered files go to the git-ignored state folder, not next to the sources."""
    return config.state_path / "render" / folder.name


def render_plans(
    config: Config,
    hypothesis_id: str | None,
    *,
    which: str | None = None,
    to: str | None = None,
    output_dir: Path | None = None,
) -> RenderResult:
    """Render plan.qmd and report.qmd (if present), or only `which` of them."""
    found_id, folder = resolve_hypothesis(config, hypothesis_id)
    result = read_plan_file(plan_path(folder), config)
    if result.plan is None:
        raise UserError(f"{result.problems[0]} (fix the plan first: `rflow validate`)")
    fmt = to or result.plan.format
    documents = _documents(folder, which)
    target = output_dir or default_output_dir(config, folder)
    if quarto.find_quarto() is None:
        raise UserError(quarto.NOT_INSTALLED)
    target.mkdir(parents=True, exist_ok=True)
    for document in documents:
        argv = quarto.render_argv(document, to=fmt, execute_dir=config.root, output_dir=target)
        quarto.render(argv, cwd=config.root)
    return RenderResult(
        found_id, tuple(shown_path(d) for d in documents), shown_path(target.resolve()), fmt
    )


def _documents(folder: Path, which: str | None) -> list[Path]:
    plan = folder / PLAN_FILE
    report = folder / REPORT_FILE
    if which == "plan":
        return [plan]
    if which == "report":
        if not report.exists():
            raise UserError(f"{shown_path(report)}: not found (write it with `rflow report`)")
        return [report]
    return [plan, report] if report.exists() else [plan]
