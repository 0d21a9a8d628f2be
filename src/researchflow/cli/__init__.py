"""The `rflow` command line: errors → exit codes in one place.

Each command is a row (cli/plans.py, cli/evidence.py, cli/portfolio.py) built into the click
group (cli/group.py) by cli/table.py; command modules are imported only when their command
runs, so `rflow --help` stays fast. The pre-commit hook's own call, `rflow validate
[--json] [PATH...]`, and a plain `rflow status [--json]` do not even import click (about
30 ms): they go straight to the command, as their rows would call it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from researchflow.base import TYPE_CHECKING
from researchflow.base.errors import EXIT_USAGE, RflowError

if TYPE_CHECKING:
    from typing import Any

    import click


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _plain_validate(args: list[str]) -> bool:
    """`rflow validate [--json] [PATH...]`: nothing click would parse differently."""
    return args[:1] == ["validate"] and all(
        arg == "--json" or not arg.startswith("-") for arg in args[1:]
    )


def _plain_status(args: list[str]) -> bool:
    """`rflow status [--json]`, no other option."""
    return args in (["status"], ["status", "--json"])


def _validate(args: list[str]) -> int:
    from researchflow.base.output import emit
    from researchflow.commands.validate import validate
    from researchflow.documents.config import load_config

    paths = [Path(arg) for arg in args[1:] if arg != "--json"]
    result = validate(load_config(), paths)
    emit(result, as_json="--json" in args[1:])
    return result.exit_code


def _status(args: list[str]) -> int:
    from researchflow.documents.config import load_config
    from researchflow.views.branch_layout import start_layout

    config = load_config()
    listing = start_layout(config)  # git lists the branches while the reader is imported
    from researchflow.base.output import emit
    from researchflow.commands.status import status

    emit(status(config, listing=listing), as_json="--json" in args)
    return 0  # the status row's exit code: listing never fails on what it lists


def _with_click(args: list[str]) -> int:
    import click

    from researchflow.cli.group import cli, session

    session.debug = False
    try:
        code = cli.main(args=args, prog_name="rflow", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.ClickException as error:
        error.show()
        code = error.exit_code
    except click.exceptions.Abort:
        raise KeyboardInterrupt from None
    finally:
        _debug.append(session.debug)
    return code if isinstance(code, int) else 0


_debug: list[bool] = []  # whether the group's --debug was given (set once click parsed it)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command and turn its outcome into one exit code."""
    from researchflow.base.safetext import terminal

    args = sys.argv[1:] if argv is None else argv
    _debug.clear()
    try:
        if _plain_validate(args):
            code = _validate(args)
        elif _plain_status(args):
            code = _status(args)
        else:
            code = _with_click(args)
    except KeyboardInterrupt:
        _say("rflow: interrupted")
        code = 130
    except RflowError as error:
        if any(_debug):
            import traceback  # only with --debug: not worth its import on every hook run

            traceback.print_exc()
        _say(f"rflow: {terminal(str(error))}")
        code = error.exit_code
    except Exception as error:
        if any(_debug):
            from researchflow.adapters.process import CommandFailed

            if isinstance(error, CommandFailed):
                _say(error.details())
            raise
        _say(
            f"rflow: internal error: {type(error).__name__}: {terminal(str(error))} "
            "(rerun as `rflow --debug …` for the traceback)"
        )
        code = 1
    if argv is None and code == 0 and (_plain_status(args) or _plain_validate(args)):
        _leave_at_once(code)
    sys.exit(code)


def _leave_at_once(code: int) -> None:
    """Exit without tearing the interpreter down: a status over 500 branches leaves tens of
    thousands of objects, and freeing them one by one took 15-20 ms after the table was
    written; the pre-commit hook's validate spent 10 ms of its 0.1 s unloading modules.
    Only the entry point's own plain status and validate come here (in-process callers
    pass `argv`): their git processes and forked child are reaped and they register no
    exit handler, so nothing is skipped but the freeing; their output is flushed first."""
    import os

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # a closed pipe: the usual exit reports it as it always did
    os._exit(code)


def __getattr__(name: str) -> Any:
    """`researchflow.cli.cli`, the click group, built only when asked for."""
    if name == "cli":
        from researchflow.cli.group import cli

        return cli
    raise AttributeError(name)


if TYPE_CHECKING:
    cli: click.Group

__all__ = ["EXIT_USAGE", "cli", "main"]
