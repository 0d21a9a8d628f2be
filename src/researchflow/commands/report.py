"""`rflow report`: write report.qmd from the template, or refresh only its results block.

The human text is never regenerated: `--update` replaces the lines between the two
markers and the generated front-matter fields, and keeps every other byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import frozen
from researchflow.base.names import REPORT_FILE
from researchflow.base.output import attributes
from researchflow.documents.config import Config
from researchflow.documents.frontmatter import set_fields
from researchflow.documents.project import read_template, shown_path
from researchflow.process.hypotheses import (
    check_plan_text,
    plan_path,
    read_plan_file,
    require_valid,
    resolve_hypothesis,
)
from researchflow.verdicts.stats import Judgement
from researchflow.views.judging import judge_all
from researchflow.views.report import (
    BEGIN,
    END,
    figures,
    render_results_block,
    replace_results_block,
    report_fields,
)
from researchflow.views.report_inputs import (
    CHOSEN_AT,
    CHOSEN_BY,
    CHOSEN_RUN,
    Chosen,
    ReportInputs,
    gather_inputs,
)

# Writing the report moves the plan on; a concluded plan stays concluded.
REPORTABLE = ("approved", "running", "reported", "concluded")


@frozen
class ReportResult:
    hypothesis_id: str
    path: str
    created: bool
    primary_run: str | None
    verdicts: dict[str, str]
    runs: int
    confirmatory: int
    details: tuple[dict[str, Any], ...] = ()  # per prediction: n, mean, effect, interval
    pictures: tuple[str, ...] = ()  # the SVGs written beside the report
    chosen_by: str | None = None  # `--primary`: who chose the primary run

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.hypothesis_id,
            **attributes(
                self, "path", "created", "primary_run", "verdicts", "runs", "confirmatory"
            ),
            "predictions": list(self.details),
            "pictures": list(self.pictures),
            "primary_chosen_by": self.chosen_by,
        }

    def to_text(self) -> str:
        action = "written" if self.created else "results block updated"
        lines = [f"{self.path}: {action}"]
        for detail in self.details:
            lines.append(f"  {detail['metric']}: {detail['verdict']} ({detail['reason']})")
        tried = f"{self.runs} run{'s' if self.runs != 1 else ''} tried"
        chosen = f", chosen by {self.chosen_by}" if self.chosen_by else ""
        lines.append(
            f"  {tried}, {self.confirmatory} confirmatory; "
            f"primary run: {self.primary_run or 'none'}{chosen}"
        )
        return "\n".join(lines)


def report(
    config: Config,
    hypothesis_id: str | None,
    *,
    update: bool = False,
    primary: str | None = None,
) -> ReportResult:
    """Write the report, or refresh its results block (`update`); `primary`: rest the
    verdicts on this confirmatory run, recorded with who chose it and when."""
    found_id, folder = resolve_hypothesis(config, hypothesis_id)
    path = plan_path(folder)
    shown_plan = shown_path(path)
    plan, document = require_valid(read_plan_file(path, config))
    if plan.status not in REPORTABLE or plan.approval is None:
        raise UserError(
            f"{shown_plan}: status: {found_id} is {plan.status}, not approved (a report needs "
            "an approved plan: have a reviewer run `rflow approve`)"
        )
    report_path = folder / REPORT_FILE
    shown = shown_path(report_path)
    exists = report_path.exists()
    if primary is not None:
        update = exists  # choosing the primary run refreshes an existing report
    if exists and not update:
        raise UserError(
            f"{shown}: already exists (use `rflow report {found_id} --update` to refresh the "
            "results block and keep your text)"
        )
    if update and not exists:
        raise UserError(f"{shown}: not found (run `rflow report {found_id}` to write it)")

    choice = _choice(config, primary)
    inputs = gather_inputs(config, found_id, choose=choice)
    if choice is not None and inputs.chosen is not None and inputs.chosen.refused:
        raise UserError(
            f"--primary: run {choice.run_id} cannot be the primary run: "
            f"{inputs.chosen.refused} (choose a confirmatory run; `rflow report "
            f"{found_id} --json` lists the runs)"
        )
    verdicts = judge_all(inputs)
    block = render_results_block(inputs, verdicts)
    base = report_path.read_text(encoding="utf-8") if exists else _template(config)
    text = replace_results_block(base, block)
    if text is None:
        where = shown if exists else f"the {REPORT_FILE} template"
        raise UserError(
            f"{where}: results block: the marker lines are missing or repeated (put exactly one "
            f"'{BEGIN}' and one '{END}' line under '## Results')"
        )
    text = set_fields(text, report_fields(inputs))
    if choice is not None:
        text = set_fields(
            text, {CHOSEN_RUN: choice.run_id, CHOSEN_BY: choice.by, CHOSEN_AT: choice.at}
        )
    pictures = figures(inputs, verdicts)
    plan_text = None
    if plan.status in ("approved", "running"):
        plan_text = set_fields(document.text, {"status": "reported"})
        check_plan_text(path, plan_text, config)  # before writing anything
    for name, svg in pictures.items():
        write_atomic(folder / name, svg)
    write_atomic(report_path, text)
    if plan_text is not None:
        write_atomic(path, plan_text)
    shown_pictures = tuple(shown_path(folder / name) for name in pictures)
    return _result(inputs, verdicts, shown, created=not exists, pictures=shown_pictures)


def _choice(config: Config, primary: str | None) -> Chosen | None:
    from researchflow.adapters.git import acting_user
    from researchflow.documents.runlog import utc_timestamp

    if primary is None:
        return None
    if not primary.strip():
        raise UserError("--primary: empty (give the ID of a confirmatory run in runs.yaml)")
    return Chosen(primary.strip(), acting_user(config.root), utc_timestamp())


def _template(config: Config) -> str:
    """The repository's override in templates_dir, else the built-in template."""
    return read_template(config, REPORT_FILE)[0]


def _result(
    inputs: ReportInputs,
    judged: Mapping[str, Judgement],
    shown: str,
    *,
    created: bool,
    pictures: tuple[str, ...] = (),
) -> ReportResult:
    verdicts = {metric: verdict.verdict for metric, verdict in judged.items()}
    return ReportResult(
        hypothesis_id=inputs.hypothesis_id,
        path=shown,
        created=created,
        primary_run=inputs.primary_run,
        verdicts=verdicts,
        runs=len(inputs.classified),
        confirmatory=sum(1 for c in inputs.classified if c.confirmatory),
        details=tuple(j.to_json() for j in judged.values()),
        pictures=pictures,
        chosen_by=inputs.chosen.by if inputs.chosen and not inputs.chosen.refused else None,
    )
