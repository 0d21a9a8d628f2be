"""Level 4, report: present once the status says so, and its generated results block is
exactly what the store holds today (no hand-edited numbers, verdicts from confirmatory
runs, every run counted, every deviation listed)."""

from __future__ import annotations

from typing import Any

from researchflow.base.names import PLAN_FILE, REPORT_FILE, RUNS_FILE
from researchflow.base.problems import Problem
from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged, skipped

LEVEL = "report"
NEEDS_REPORT = ("reported", "concluded")


def check(ctx: HypothesisContext) -> CheckResult:
    plan = ctx.plan
    shown = ctx.rel(REPORT_FILE)
    if not ctx.report_path.is_file():
        if plan.status in NEEDS_REPORT:
            problem = Problem(
                ctx.rel(PLAN_FILE),
                _line(ctx, "status"),
                "status",
                f"status is {plan.status} but {REPORT_FILE} is missing",
                f"run `rflow report {ctx.id}`",
            )
            return judged(ctx.id, LEVEL, [problem])
        return skipped(ctx.id, LEVEL, f"no report yet (status {plan.status})")
    from researchflow.documents.report_schema import read_report
    from researchflow.views import judging, report

    text = ctx.report_path.read_text(encoding="utf-8")
    problems = list(  # its own sections written, and the ship decision
        read_report(text, shown, plan.status, sections=ctx.config.sections.report)
    )
    block = report.extract_results_block(text)
    fix = f"never edit the generated block by hand: run `rflow report {ctx.id} --update`"
    if block is None:
        problems.append(
            Problem(shown, 1, "results block", "the generated results block is missing", fix)
        )
        return judged(ctx.id, LEVEL, problems)
    inputs = ctx.report_inputs
    verdicts = judging.judge_all(inputs)
    expected = report.render_results_block(inputs, verdicts)
    difference = first_difference(block, expected)
    if difference is not None:
        offset, found, wanted = difference
        line = _begin_line(text, report.BEGIN) + offset
        problems.append(
            Problem(
                shown,
                line,
                "results block",
                f"differs from the runs in the store: found {found!r}, expected {wanted!r}",
                fix,
            )
        )
    named = ctx.report_front_matter.get("primary_run")
    if named != inputs.primary_run:
        problems.append(
            Problem(
                shown,
                _front_matter_line(text, "primary_run"),
                "primary_run",
                f"names {named or 'no run'}, but the latest confirmatory run is "
                f"{inputs.primary_run or 'none'}",
                fix,
            )
        )
    problems += _pictures(ctx, inputs, verdicts, fix)
    problems += _repeats(ctx, inputs, verdicts)
    problems += _outcome_problems(ctx, inputs)
    problems += _executor_problems(ctx, inputs)
    runs = len(inputs.classified)
    detail = f"results block matches the store ({runs} run(s), primary {inputs.primary_run})"
    return judged(ctx.id, LEVEL, problems, detail)


def _executor_problems(ctx: HypothesisContext, inputs: Any) -> list[Problem]:
    """Role rule: the executor makes the confirmatory runs (identified via `people:`)."""
    from researchflow.adapters.git import commit_authors
    from researchflow.process.executor_rule import executor_problems

    plan = inputs.plan
    confirmatory = [c.run for c in inputs.classified if c.confirmatory]
    if not confirmatory or not plan.roles.executor:
        return []
    people = getattr(ctx.config, "people_map", None) or {}
    authors = commit_authors(ctx.config.root, [run.commit for run in confirmatory])
    runs = [(run.run_id, run.user, *authors.get(run.commit, (None, None))) for run in confirmatory]
    return executor_problems(
        executor=plan.roles.executor,
        waived=bool(plan.roles.reason),
        people=people,
        runs=runs,
        path=ctx.rel(RUNS_FILE),
    )


def _outcome_problems(ctx: HypothesisContext, inputs: object) -> list[Problem]:
    """The plan's `outcome` against the verdicts the store's confirmatory runs give today;
    no keyword in the conclusion overrules them."""
    from researchflow.verdicts.evidence import experiments_made
    from researchflow.verdicts.outcome import combined, disagreement
    from researchflow.views.all_experiments import outcome_verdicts

    plan = ctx.plan
    verdicts = outcome_verdicts(inputs)  # type: ignore[arg-type]
    made = experiments_made(getattr(inputs, "classified", ()))
    why = disagreement(plan.outcome, verdicts, made)
    if why is None:
        return []
    stated = combined(verdicts)
    return [
        Problem(
            ctx.rel(PLAN_FILE),
            _line(ctx, "outcome"),
            "outcome",
            why,
            f"set 'outcome: {stated}': the outcome follows from the confirmatory verdicts",
        )
    ]


def _pictures(
    ctx: HypothesisContext, inputs: object, verdicts: dict[str, Any], fix: str
) -> list[Problem]:
    """Each prediction's SVG beside the report is exactly what `rflow report` draws today
    (compared by digest; the drawing's is remembered under .rflow/cache)."""
    from researchflow.verdicts.figures import text_digest
    from researchflow.views import report

    memo = ctx.config.state_path / "cache" / f"figures-{ctx.id}.json"
    problems = []
    for name, expected in report.figure_digests(inputs, verdicts, memo).items():  # type: ignore[arg-type]
        path = ctx.folder / name
        try:
            found: str | None = text_digest(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            found = None
        if found != expected:
            what = "is missing" if found is None else "differs from what the store's runs draw"
            problems.append(Problem(ctx.rel(name), 1, "picture", what, fix))
    return problems


def _repeats(ctx: HypothesisContext, inputs: object, verdicts: dict[str, Any]) -> list[Problem]:
    """A confirmatory experiment with fewer repeats than the plan registered, or with a
    registered seed that does not count (failed, missing, changed after it ended)."""
    evaluation = getattr(inputs, "plan", ctx.plan).evaluation  # registered at the run
    if getattr(inputs, "primary_run", None) is None:
        return []
    line = ctx.plan_result.document.line_of("evaluation.repeats") if ctx.plan_result.document else 1
    experiment = getattr(inputs, "primary_experiment", None)
    gaps = getattr(experiment, "gaps", ())
    if gaps:
        shown = "; ".join(gaps[:3]) + (f"; and {len(gaps) - 3} more" if len(gaps) > 3 else "")
        return [
            Problem(
                ctx.rel(PLAN_FILE),
                line,
                "evaluation.repeats",
                f"the confirmatory experiment {getattr(experiment, 'group', '')} is incomplete, "
                f"not a smaller sample: {shown}",
                f"run all {evaluation.repeats} registered repeats again "
                f"(`rflow run {ctx.id}`) and `rflow report {ctx.id} --update`",
            )
        ]
    made = [j.estimate.n for j in verdicts.values() if j.estimate is not None]
    if not made or max(made) >= evaluation.repeats:
        return []
    return [
        Problem(
            ctx.rel(PLAN_FILE),
            ctx.plan_result.document.line_of("evaluation.repeats")
            if ctx.plan_result.document
            else 1,
            "evaluation.repeats",
            f"the plan registered {evaluation.repeats} repeats, but the confirmatory experiment "
            f"has {max(made)}",
            f"run `rflow run {ctx.id} --repeat {evaluation.repeats}` and "
            f"`rflow report {ctx.id} --update`",
        )
    ]


def first_difference(found: str, expected: str) -> tuple[int, str, str] | None:
    """(line offset in the block, found line, expected line) of the first difference,
    ignoring trailing whitespace; None when the blocks agree."""
    left = [line.rstrip() for line in found.strip("\n").split("\n")]
    right = [line.rstrip() for line in expected.strip("\n").split("\n")]
    for offset in range(max(len(left), len(right))):
        a = left[offset] if offset < len(left) else ""
        b = right[offset] if offset < len(right) else ""
        if a != b:
            return offset, a, b
    return None


def _begin_line(text: str, marker: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip() == marker:
            return number
    return 1


def _front_matter_line(text: str, key: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def _line(ctx: HypothesisContext, key: str) -> int:
    document = ctx.plan_result.document
    return document.line_of(key) if document is not None else 1
