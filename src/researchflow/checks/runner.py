"""Run the levels for each selected hypothesis and collect one CheckResult per level."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import Path

from researchflow.adapters.process import CommandFailed
from researchflow.base.errors import RflowError, ServiceUnavailable, StoreAbsent
from researchflow.base.problems import Problem
from researchflow.checks.context import CheckOptions, HypothesisContext
from researchflow.checks.model import FAIL, LEVELS, CheckReport, CheckResult, skipped
from researchflow.documents.config import Config

Level = Callable[[HypothesisContext], CheckResult]
LAST = "rerun"


def level_function(level: str) -> Level:
    function: Level = importlib.import_module(f"researchflow.checks.{level}").check
    return function


def run_checks(
    config: Config,
    selected: Iterable[tuple[str, Path]],
    options: CheckOptions,
    levels: tuple[str, ...] = LEVELS,
) -> CheckReport:
    contexts = [HypothesisContext(config, h, folder, options) for h, folder in selected]
    # the reruns go last, after every other level of every hypothesis: the registered
    # command runs as the same user and could write to the checkout, so nothing is read
    # from it after a rerun except that rerun's own results in the store
    first = tuple(level for level in levels if level != LAST)
    done = {ctx.id: check_hypothesis(ctx, first) for ctx in contexts}
    if LAST in levels:
        for ctx in contexts:
            done[ctx.id] += check_hypothesis(ctx, (LAST,))
    results = [
        result
        for ctx in contexts
        for result in sorted(done[ctx.id], key=lambda r: levels.index(r.level))
    ]
    return CheckReport(tuple(results), tuple(ctx.id for ctx in contexts))


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
