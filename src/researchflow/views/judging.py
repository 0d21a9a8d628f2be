"""The primary experiment's verdicts: each prediction as a claim, its estimate from the
runs, and all predictions judged as one Holm family (pure)."""

from __future__ import annotations

from typing import Any

from researchflow.documents.plan import Plan
from researchflow.verdicts.stats import Claim, Estimate, Judgement
from researchflow.views.report_inputs import ReportInputs


def claims(plan: Plan) -> list[Claim]:
    return [Claim(p.metric, p.baseline, p.direction, p.min_effect) for p in plan.predictions]


def estimates(inputs: ReportInputs) -> dict[str, Estimate | None]:
    """metric → the primary experiment's effect estimate (None: nothing observed)."""
    from researchflow.verdicts import stats

    experiment = inputs.primary_experiment
    result: dict[str, Estimate | None] = {}
    for prediction in inputs.plan.predictions:
        metric = prediction.metric
        if experiment is None or inputs.primary_run not in inputs.in_store:
            result[metric] = None
            continue
        treated = _by_repeat(inputs, experiment.runs, metric)
        if inputs.plan.evaluation.baseline_command:
            base = _by_repeat(inputs, experiment.baseline, metric)
            seeds = sorted(set(treated) & set(base))
            result[metric] = stats.estimate(
                [treated[s] for s in seeds], prediction.baseline, [base[s] for s in seeds]
            )
        else:
            result[metric] = stats.estimate(list(treated.values()), prediction.baseline)
    return result


def _by_repeat(inputs: ReportInputs, runs: tuple[Any, ...], metric: str) -> dict[int, float]:
    values: dict[int, float] = {}
    for index, run in enumerate(runs):
        value = inputs.metrics_of(run.run_id).get(metric)
        if value is not None:
            values[run.repeat if run.repeat is not None else index] = value
    return values


def judge_all(inputs: ReportInputs) -> dict[str, Judgement]:
    """metric → verdict, from the primary experiment: all predictions as one Holm family."""
    from researchflow.verdicts import stats

    evaluation = inputs.plan.evaluation
    judged = stats.judge_family(
        claims(inputs.plan),
        estimates(inputs),
        alpha=evaluation.alpha,
        repeats=evaluation.repeats,
        repeats_registered=evaluation.repeats_registered,
    )
    return {j.metric: j for j in judged}
