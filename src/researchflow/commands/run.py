"""`rflow run [ID] -- CMD…`: run a command as an MLflow run linked to a hypothesis.

The run itself (tags, params, runs.yaml, the supervised child) is `tracking.execute_run`,
shared with `rflow check --rerun` and the Python API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, Any

from researchflow.config import Config
from researchflow.naming import is_valid_id
from researchflow.tracking import RunOutcome, execute_run


def split_arguments(args: Sequence[str]) -> tuple[str | None, list[str]]:
    """`[ID] CMD…` → (ID or None, CMD). Click drops the `--`; an ID looks like H-007."""
    items = list(args)
    if items and items[0] == "--":
        items = items[1:]
    if len(items) > 1 and is_valid_id(items[0]):
        hypothesis, items = items[0], items[1:]
        if items[0] == "--":
            items = items[1:]
        return hypothesis, items
    return None, items


def run(
    config: Config,
    args: Sequence[str],
    *,
    allow_dirty: bool = False,
    stdout: IO[Any] | None = None,
    announce: Callable[[str], object] | None = None,
) -> RunOutcome:
    hypothesis_id, argv = split_arguments(args)
    return execute_run(
        config, hypothesis_id, argv, allow_dirty=allow_dirty, stdout=stdout, announce=announce
    )
