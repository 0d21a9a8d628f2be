"""`rflow run [ID] -- CMD…`: run a command as an MLflow run linked to a hypothesis.

The run itself (tags, params, runs.yaml, the supervised child) is `tracking.execute_run`,
shared with `rflow check --rerun` and the Python API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import IO, Any

from researchflow.config import Config
from researchflow.errors import UserError
from researchflow.naming import is_valid_id
from researchflow.tracking import RunOutcome, execute_run


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
        if separated is not None and "--" in items[1:] and items[0].startswith("-"):
            options = items[: items.index("--")]
            rest = " ".join(items[items.index("--") + 1 :][:3])
            raise UserError(
                f"rflow run: put rflow's options before the ID: rflow run {' '.join(options)} "
                f"{hypothesis} -- {rest}"
            )
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
    stdout: IO[Any] | None = None,
    announce: Callable[[str], object] | None = None,
) -> RunOutcome:
    hypothesis_id, argv = split_arguments(args, separated=separated)
    return execute_run(
        config, hypothesis_id, argv, allow_dirty=allow_dirty, stdout=stdout, announce=announce
    )
