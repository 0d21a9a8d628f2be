"""Level 5, rerun (`--rerun`): the primary run's recorded command, re-executed on HEAD in a
clean temporary worktree with HEAD's DVC data, reproduces every predicted metric within
its tolerance. When it does not, a second rerun at the run's own commit tells a later change
(code or data changed since) from a non-deterministic experiment."""

from __future__ import annotations

from typing import Any

from researchflow.base.frozen import frozen
from researchflow.base.names import PLAN_FILE, RUNS_FILE
from researchflow.base.problems import Problem
from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged, skipped

LEVEL = "rerun"


@frozen
class Mismatch:
    metric: str
    reported: float | None
    observed: float | None
    tolerance: float

    def __str__(self) -> str:
        def show(value: float | None) -> str:
            return "missing" if value is None else f"{value:.6g}"

        return (
            f"{self.metric} {show(self.observed)} vs reported {show(self.reported)} "
            f"(tolerance {self.tolerance:g})"
        )


def compare(
    predictions: Any, reported: dict[str, float], observed: dict[str, float]
) -> list[Mismatch]:
    """The predicted metrics whose rerun value is missing or outside the tolerance; a
    metric neither the run nor its rerun logged has nothing to reproduce (the report
    shows it as not logged)."""
    mismatches = []
    for prediction in predictions:
        want = reported.get(prediction.metric)
        got = observed.get(prediction.metric)
        if want is None and got is None:
            continue
        if want is None or got is None or abs(got - want) > prediction.tolerance:
            mismatches.append(Mismatch(prediction.metric, want, got, prediction.tolerance))
    return mismatches


def check(ctx: HypothesisContext) -> CheckResult:
    if not ctx.options.rerun:
        return skipped(ctx.id, LEVEL, "not requested: add --rerun")
    primary = ctx.primary_run_id
    if primary is None:
        return skipped(ctx.id, LEVEL, "no confirmatory run to reproduce")
    entry = next((e for e in ctx.runs if e.run_id == primary), None)
    stored = ctx.live_runs.get(primary)
    shown = ctx.rel(RUNS_FILE)
    if entry is None or stored is None:
        problem = Problem(
            shown,
            1,
            "rerun",
            f"primary run {primary} cannot be rerun: it cannot be traced (see provenance)",
            "make the primary run with `rflow run`, then `rflow report --update`",
        )
        return judged(ctx.id, LEVEL, [problem])
    # the registered command, never the one runs.yaml claims
    command = ctx.plan.command
    if not command:
        problem = Problem(
            ctx.rel(PLAN_FILE),
            1,
            "command",
            f"primary run {primary} cannot be rerun: the plan registers no command",
            "register the command in the plan (`command:`) through `rflow deviate`",
        )
        return judged(ctx.id, LEVEL, [problem])
    if entry.group is not None:
        return check_group(ctx, entry)
    from researchflow.checks.worktree import rerun_at

    predictions = ctx.report_inputs.plan.predictions  # as registered at the run's commit
    reported = {
        p.metric: stored.metrics[p.metric] for p in predictions if p.metric in stored.metrics
    }
    head = rerun_at(ctx, ctx.head, command, primary)
    if head.failed:
        return judged(ctx.id, LEVEL, [_failure_problem(shown, command, head, "HEAD")])
    if predictions and not any(p.metric in head.metrics for p in predictions):
        return judged(ctx.id, LEVEL, [_nothing_logged(shown, ctx, head)])
    at_head = compare(predictions, reported, head.metrics)
    if not at_head:
        values = ", ".join(f"{m}={v:.6g}" for m, v in sorted(head.metrics.items()))
        return judged(ctx.id, LEVEL, [], f"run {primary} reproduced on HEAD ({values})")
    differences = "; ".join(str(m) for m in at_head)
    # at HEAD itself the first rerun already was the rerun at the run's own commit
    then = _registered_at(ctx, entry.commit) or command
    same = head if entry.commit == ctx.head else rerun_at(ctx, entry.commit, then, primary)
    at_own = compare(predictions, reported, same.metrics) if not same.failed else []
    unlogged = [m.metric for m in at_own if m.observed is None]
    if same.failed:
        problem = _failure_problem(shown, then, same, f"its own commit {entry.commit[:12]}")
        problem = Problem(
            problem.path,
            problem.line,
            problem.field,
            f"run {primary} does not reproduce on HEAD ({differences}), and {problem.message}",
            problem.fix,
        )
    elif unlogged and len(unlogged) == len(at_own):
        problem = Problem(
            shown,
            1,
            "rerun",
            f"run {primary} does not reproduce on HEAD ({differences}); the rerun at its own "
            f"commit {entry.commit[:12]} did not log {', '.join(unlogged)} either: the command "
            "does not log it when rflow reruns it (no value to call non-deterministic)",
            "make the command log the predicted metrics on every run (RFLOW_RERUN=1 is set "
            "during reruns; MLFLOW_RUN_ID names the run), commit, and `rflow check --rerun`",
        )
    elif not at_own:
        from researchflow.runs.drift import changes_between

        changed = changes_between(ctx.config.root, entry.commit, ctx.head, ctx.config.research_dir)
        problem = Problem(
            shown,
            1,
            "rerun",
            f"a later change: run {primary} reproduces at its own commit {entry.commit[:12]} "
            f"but not on HEAD ({differences}); changed since: {changed}",
            f"run the experiment again on HEAD (`rflow run`), then `rflow report {ctx.id} "
            "--update`; or revert the change",
        )
    else:
        problem = Problem(
            shown,
            1,
            "rerun",
            f"run {primary} does not reproduce even at its own commit {entry.commit[:12]} "
            f"({differences}): the experiment is non-deterministic, or the store holds "
            "values its command did not produce",
            "fix random seeds and other sources of randomness, run the experiment again "
            f"(`rflow run`) and `rflow report {ctx.id} --update`",
        )
    return judged(ctx.id, LEVEL, [problem])


def _registered_at(ctx: HypothesisContext, commit: str) -> tuple[str, ...]:
    """The command the plan registered at a commit (the run's own)."""
    from researchflow.adapters.gitobjects import read_blobs
    from researchflow.documents.plan_rules import read_plan

    relative = ctx.rel(PLAN_FILE)
    blob = read_blobs(ctx.config.root, [(commit, relative)]).get((commit, relative))
    if blob is None:
        return ()
    plan = read_plan(blob, relative, ctx.config.sections).plan
    return plan.command if plan is not None else ()


def check_group(ctx: HypothesisContext, entry: Any) -> CheckResult:
    """A group of repeats: rerun its seeds (all, or `--rerun-sample K`) on HEAD and compare
    the rerun's mean with the report's, within `tolerance` or within the reported interval
    (`evaluation.rerun_match`)."""
    from researchflow.checks.worktree import rerun_group_at
    from researchflow.views import judging

    inputs = ctx.report_inputs
    experiment = inputs.primary_experiment
    if experiment.gaps:  # every registered seed is replayed, or none is
        problem = Problem(
            ctx.rel(RUNS_FILE),
            1,
            "rerun",
            f"group {entry.group} cannot be rerun as registered: {experiment.gaps[0]}",
            f"run all registered repeats again (`rflow run {ctx.id}`) and "
            f"`rflow report {ctx.id} --update`",
        )
        return judged(ctx.id, LEVEL, [problem])
    seeds = sorted(run.repeat for run in experiment.runs if run.repeat is not None)
    if not seeds:
        return skipped(ctx.id, LEVEL, f"group {entry.group} has no repeats to rerun")
    sample = ctx.options.rerun_sample
    chosen = seeds[:sample] if sample else seeds
    named = (
        f"seeds {', '.join(map(str, chosen))} of {len(seeds)}"
        if len(chosen) < len(seeds)
        else f"all {len(seeds)} seeds"
    )
    shown = ctx.rel(RUNS_FILE)
    results = rerun_group_at(ctx, ctx.head, ctx.plan.command or entry.command, entry.group, chosen)
    failed = [(seed, r) for seed, r in zip(chosen, results, strict=True) if r.failed]
    if failed:
        seed, result = failed[0]
        where = f"HEAD with RFLOW_SEED={seed}"
        problem = _failure_problem(shown, ctx.plan.command or entry.command, result, where)
        return judged(ctx.id, LEVEL, [problem])
    verdicts = judging.judge_all(inputs)
    match = ctx.report_inputs.plan.evaluation.rerun_match
    problems, shown_means = [], []
    for prediction in ctx.report_inputs.plan.predictions:
        judged_one = verdicts[prediction.metric]
        est = judged_one.estimate
        values = [r.metrics[prediction.metric] for r in results if prediction.metric in r.metrics]
        if est is None or len(values) < len(chosen):
            problems.append(
                Problem(
                    shown,
                    1,
                    "rerun",
                    f"{prediction.metric}: the rerun of group "
                    f"{entry.group} ({named}) did not log it in every repeat",
                    "log the predicted metrics in every repeat (MLFLOW_RUN_ID is set)",
                )
            )
            continue
        rerun_mean = sum(values) / len(values)
        by_seed = dict(
            zip(
                sorted(r.repeat for r in experiment.runs if r.repeat is not None),
                est.values,
                strict=False,
            )
        )
        reported = [by_seed[seed] for seed in chosen if seed in by_seed]
        reported_mean = sum(reported) / len(reported) if reported else est.mean
        shown_means.append(f"{prediction.metric} {rerun_mean:.6g} vs {reported_mean:.6g}")
        if match == "interval" and judged_one.interval is not None:
            low = est.baseline + judged_one.interval.low
            high = est.baseline + judged_one.interval.high
            if not low <= rerun_mean <= high:
                problems.append(
                    Problem(
                        shown,
                        1,
                        "rerun",
                        f"{prediction.metric}: the rerun mean of group {entry.group} ({named}) is "
                        f"{rerun_mean:.6g}, outside the reported interval {low:.6g} to {high:.6g}",
                        "fix random seeds and other sources of randomness, or rerun the "
                        f"experiment on HEAD (`rflow run {ctx.id}`) and `rflow report --update`",
                    )
                )
        elif abs(rerun_mean - reported_mean) > prediction.tolerance:
            problems.append(
                Problem(
                    shown,
                    1,
                    "rerun",
                    f"{prediction.metric}: the rerun mean of group {entry.group} ({named}) is "
                    f"{rerun_mean:.6g}, reported {reported_mean:.6g} (tolerance "
                    f"{prediction.tolerance:g})",
                    "fix random seeds and other sources of randomness, or rerun the experiment "
                    f"on HEAD (`rflow run {ctx.id}`) and `rflow report --update`",
                )
            )
    detail = f"group {entry.group} reproduced on HEAD ({named}; {'; '.join(shown_means)})"
    return judged(ctx.id, LEVEL, problems, detail)


def _nothing_logged(shown: str, ctx: HypothesisContext, result: Any) -> Problem:
    """Nothing was computed, or nothing was written where rflow reads: never a seed issue."""
    from researchflow.adapters.dvc_pipeline import is_pipeline_command, read_pipeline

    wanted = ", ".join(p.metric for p in ctx.report_inputs.plan.predictions)
    if is_pipeline_command(result.command):
        files = read_pipeline(ctx.config.root).metrics_files
        cause = (
            f"DVC ran `{' '.join(result.command)}` but no metrics file dvc.yaml declares "
            f"({', '.join(files) or 'none declared'}) holds them"
        )
        fix = "declare the metrics file under `metrics:` in dvc.yaml, or log them to MLflow"
    else:
        cause = "the command logged none of them and no DVC metrics file holds them"
        fix = "log the metrics from the command (MLFLOW_RUN_ID is set), or declare them in dvc.yaml"
    return Problem(
        shown,
        1,
        "rerun",
        f"the rerun of run {ctx.primary_run_id} logged none of the predicted metrics "
        f"({wanted}): {cause}",
        fix,
    )


def _failure_problem(shown: str, command: Any, result: Any, where: str) -> Problem:
    """A rerun that failed is never a pass: it exited non-zero, did not end FINISHED in the
    store, or wrote to the gate's own code."""
    if result.wrote_to_gate:
        more = f" and {len(result.wrote_to_gate) - 1} more" if len(result.wrote_to_gate) > 1 else ""
        return Problem(
            shown,
            1,
            "rerun",
            f"rerunning the registered command `{' '.join(command)}` on {where} changed "
            f"the gate's own code ({result.wrote_to_gate[0]}{more})",
            "the registered command may write only to its worktree and the store; "
            "reinstall rflow and remove what writes to it",
        )
    if result.exit_code == 0:
        return Problem(
            shown,
            1,
            "rerun",
            f"rerunning the registered command `{' '.join(command)}` on {where} ended "
            f"{result.status} in the store",
            "run the command on a clean checkout to see why, fix it, and commit",
        )
    return _exit_problem(shown, command, result.exit_code, where)


def _exit_problem(shown: str, command: Any, code: int, where: str) -> Problem:
    return Problem(
        shown,
        1,
        "rerun",
        f"rerunning the registered command `{' '.join(command)}` on {where} exited {code}",
        "run the command on a clean checkout to see why, fix it, and commit",
    )
