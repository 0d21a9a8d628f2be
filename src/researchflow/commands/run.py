"""`rflow run [ID] -- CMD…`: run a command as an MLflow run linked to a hypothesis.

The run itself (tags, params, runs.yaml, the supervised child) is `tracking.execute_run`,
shared with `rflow check --rerun` and the Python API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, Any

from researchflow.base.errors import UserError
from researchflow.base.names import NOTE, is_valid_id
from researchflow.documents.config import Config
from researchflow.documents.plan import Plan
from researchflow.runs.repeats import RepeatOutcome, execute_repeats
from researchflow.runs.tracking import RunOutcome, clean_note, execute_run, keep_note


def split_arguments(
    args: Sequence[str], *, separated: bool | None = None
) -> tuple[str | None, list[str]]:
    """`[ID] CMD…` → (ID or None, CMD). Click drops a leading `--`; an ID looks like H-007.

    `separated`: whether the user typed `--` before CMD (None: do not require it). A lone
    ID is the hypothesis, never a command.
    """
    items = list(args)
    if items and items[0] == "--":
        items = items[1:]
    if len(items) > 1 and not items[0].strip():
        raise UserError(
            "ID: empty (give a hypothesis ID such as H-007, or leave it out for the "
            "current branch's)"
        )
    hypothesis = None
    if items and is_valid_id(items[0]):
        hypothesis, items = items[0], items[1:]
        if items and items[0] == "--":
            items, separated = items[1:], True if separated is not None else None
    if items and separated is False:
        shown = " ".join(items[:3])
        raise UserError(
            f"rflow run: put `--` before the command: rflow run {hypothesis or '[ID]'} -- "
            f"{shown} (so rflow's options and the command's never mix)"
        )
    return hypothesis, items


def run(
    config: Config,
    args: Sequence[str],
    *,
    separated: bool | None = None,
    allow_dirty: bool = False,
    repeat: int | None = None,
    jobs: int = 1,
    stdout: IO[Any] | None = None,
    announce: Callable[[str], object] | None = None,
    note: str | None = None,
) -> RunOutcome | RepeatOutcome:
    """One linked run, or a group of seeded repeats.

    Without a command, the plan's registered `command` runs. The registered command runs
    as many times as the plan's `evaluation.repeats` unless `repeat` says otherwise, and
    with the registered `baseline_command` under the same seeds; any other command runs
    once unless `repeat` is given.
    """
    hypothesis_id, argv = split_arguments(args, separated=separated)
    line = clean_note(note, "--note") if note is not None else None
    plan = _plan(config, hypothesis_id, required=not argv)
    if not argv:
        assert plan is not None
        if not plan.command:
            raise UserError(
                f"{plan.id}: no command to run: register `command:` in the plan, or give one "
                "(rflow run [ID] -- CMD…)"
            )
        argv = list(plan.command)
    registered = plan is not None and tuple(argv) == plan.command
    evaluation = plan.evaluation if plan is not None else None
    count = (
        repeat if repeat is not None else (evaluation.repeats if registered and evaluation else 1)
    )
    baseline = evaluation.baseline_command if registered and evaluation else ()
    if count > 1 or baseline or jobs > 1:
        group = execute_repeats(
            config,
            hypothesis_id,
            argv,
            repeats=count,
            jobs=jobs,
            baseline_argv=baseline,
            allow_dirty=allow_dirty,
            stdout=stdout,
            announce=announce,
        )
        for member in group.runs if line else ():
            if member.run_id:  # each repeat carries the note, as `rflow runs note` would
                keep_note(config, member.run_id, line or "")
        return group
    return execute_run(
        config,
        hypothesis_id,
        argv,
        allow_dirty=allow_dirty,
        stdout=stdout,
        announce=announce,
        extra_tags={NOTE: line} if line else None,
    )


def _plan(config: Config, hypothesis_id: str | None, *, required: bool) -> Plan | None:
    """The hypothesis's plan; None when it cannot be read and the run does not need it."""
    from researchflow.process.hypotheses import (
        plan_path,
        read_plan_file,
        require_valid,
        resolve_hypothesis,
    )

    try:
        _, folder = resolve_hypothesis(config, hypothesis_id)
        result = read_plan_file(plan_path(folder), config)
        if not required:
            return result.plan
        return require_valid(result)[0]
    except UserError:
        if required:
            raise
        return None  # the run itself names what is wrong
