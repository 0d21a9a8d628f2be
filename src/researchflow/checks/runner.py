"""Run the levels for each selected hypothesis and collect one CheckResult per level."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from researchflow.adapters.process import CommandFailed
from researchflow.checks.context import CheckOptions, HypothesisContext
from researchflow.checks.model import FAIL, LEVELS, CheckReport, CheckResult, skipped
from researchflow.config import Config
from researchflow.errors import RflowError, ServiceUnavailable, StoreAbsent
from researchflow.problems import Problem

Level = Callable[[HypothesisContext], CheckResult]


def level_function(level: str) -> Level:
    function: Level = importlib.import_module(f"researchflow.checks.{level}").check
    return function


def run_checks(
    config: Config,
    selected: Iterable[tuple[str, Path]],
    options: CheckOptions,
    levels: tuple[str, ...] = LEVELS,
) -> CheckReport:
    results: list[CheckResult] = []
    hypotheses: list[str] = []
    for hypothesis, folder in selected:
        hypotheses.append(hypothesis)
        ctx = HypothesisContext(config, hypothesis, folder, options)
        results.extend(check_hypothesis(ctx, levels))
    return CheckReport(tuple(results), tuple(hypotheses))


def check_hypothesis(ctx: HypothesisContext, levels: tuple[str, ...]) -> list[CheckResult]:
    results = []
    for level in levels:
        if level != "plan" and ctx.plan is None:
            # every later level reads the plan; the plan level already says what is wrong
            results.append(skipped(ctx.id, level, "the plan could not be read"))
            continue
        results.append(_run_level(ctx, level))
    return results


def _run_level(ctx: HypothesisContext, level: str) -> CheckResult:
    try:
        return level_function(level)(ctx)
    except StoreAbsent:
        raise  # the whole check cannot run here: one line, not one per level or run
    except ServiceUnavailable as error:
        problem = Problem(ctx.rel(), 0, level, str(error), "check the service and run it again")
        return CheckResult(ctx.id, level, FAIL, (problem,), "service unreachable", True)
    except (RflowError, CommandFailed) as error:
        problem = Problem(ctx.rel(), 0, level, str(error), "fix it and run the check again")
        return CheckResult(ctx.id, level, FAIL, (problem,))
