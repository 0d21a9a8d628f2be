"""The `rflow` command line: the group, the command table, and errors → exit codes in one
place.

Each command is a row (cli/plans.py, cli/evidence.py, cli/portfolio.py) built by
cli/table.py; command modules are imported only when their command runs, so `rflow --help`
and `rflow validate` stay fast: nothing heavy (mlflow, dvc, gitlab, nbclient) is imported
here.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from researchflow import __version__
from researchflow.base.errors import EXIT_USAGE, RflowError
from researchflow.cli import evidence, plans, portfolio
from researchflow.cli.table import build

if TYPE_CHECKING:
    from researchflow.documents.config import Config


def _config() -> Config:
    from researchflow.documents.config import load_config

    return load_config()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rflow")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
def cli(debug: bool) -> None:
    """researchflow: hypothesis-driven ML research, tracked in git.

    Plan a hypothesis, have it reviewed, run the experiment through MLflow on committed code
    and DVC-versioned data, and merge the report only when every number reproduces.
    """
    _session.debug = debug  # parsed by click: `rflow run -- cmd --debug` is the command's


class _Session:
    """What the group's options decided, read by `main` once the command has ended."""

    debug = False


_session = _Session()
build(cli, [*plans.ROWS, *evidence.ROWS, *portfolio.ROWS], _config)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command and turn its outcome into one exit code."""
    from researchflow.base.safetext import terminal

    args = sys.argv[1:] if argv is None else argv
    _session.debug = False
    try:
        code = cli.main(args=args, prog_name="rflow", standalone_mode=False)
    except click.exceptions.Exit as done:
        code = done.exit_code
    except click.ClickException as error:
        error.show()
        code = error.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("rflow: interrupted", err=True)
        code = 130
    except RflowError as error:
        if _session.debug:
            import traceback  # only with --debug: not worth its import on every hook run

            traceback.print_exc()
        click.echo(f"rflow: {terminal(str(error))}", err=True)
        code = error.exit_code
    except Exception as error:
        if _session.debug:
            from researchflow.adapters.process import CommandFailed

            if isinstance(error, CommandFailed):
                click.echo(error.details(), err=True)
            raise
        click.echo(
            f"rflow: internal error: {type(error).__name__}: {terminal(str(error))} "
            "(rerun as `rflow --debug …` for the traceback)",
            err=True,
        )
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["EXIT_USAGE", "cli", "main"]
__all__ = ["EXIT_USAGE", "cli", "main"]
