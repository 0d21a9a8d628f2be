"""The `rflow` command line: options, help text, and errors → exit codes in one place.

Command modules are imported inside each command so `rflow --help` and `rflow validate`
stay fast: nothing heavy (mlflow, dvc, gitlab, nbclient) is imported here.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from researchflow import __version__
from researchflow.errors import EXIT_USAGE, RflowError

JSON_HELP = "Print machine-readable JSON instead of text."


def _config():
    from researchflow.config import load_config

    return load_config()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rflow")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
def cli(debug: bool) -> None:
    """researchflow: hypothesis-driven ML research, tracked in git.

    Plan a hypothesis, have it reviewed, run the experiment through MLflow on committed code
    and DVC-versioned data, and merge the report only when every number reproduces.
    """


# --- foundation: validate, init -------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def validate(paths: tuple[Path, ...], as_json: bool) -> int:
    """Check plan and report documents: front matter, sections, roles, RICE.

    With no PATHS, every research/*/plan.qmd and report.qmd is checked. Each problem is
    printed as `path:line: field: problem (fix)`. Exit 1 when a document has problems,
    2 when a file cannot be read as a document at all.

    Example: rflow validate research/H-007-graded-target/plan.qmd
    """
    from researchflow.commands.validate import validate as run_validate
    from researchflow.output import emit

    result = run_validate(_config(), list(paths))
    emit(result, as_json=as_json)
    return result.exit_code


@cli.command()
@click.option(
    "--dvc/--no-dvc",
    "with_dvc",
    default=True,
    show_default=True,
    help="Run `dvc init` when the repository has no DVC yet.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def init(with_dvc: bool, as_json: bool) -> int:
    """Set up researchflow in an existing git repository. Safe to run again.

    Writes researchflow.yaml, ignores .rflow/, adds rflow's pre-commit hooks next to
    yours and creates the template override folder.

    Example: cd my-project && rflow init
    """
    from researchflow.commands.init import init as run_init
    from researchflow.output import emit

    emit(run_init(_config(), with_dvc=with_dvc), as_json=as_json)
    return 0


# --- hypotheses: new-hypothesis (issue 3) --------------------------------------------


@cli.command("new-hypothesis")
@click.argument("title")
@click.option("--rice", metavar="R,I,C,E", help="Reach, impact, confidence, effort: 1..5 each.")
@click.option("--author", help="Who proposes it. Default: $RFLOW_USER, else git's user.name.")
@click.option("--designer", help="Who designs the experiment.")
@click.option("--executor", help="Who runs it (not the author, unless the plan says why).")
@click.option("--reviewer", "reviewers", multiple=True, help="A reviewer; repeat for more.")
@click.option("--base", help="Branch to start from. Default: base_branch, else the default.")
@click.option("--no-push", is_flag=True, help="Only create the branch and plan locally.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def new_hypothesis(
    title: str,
    rice: str | None,
    author: str | None,
    designer: str | None,
    executor: str | None,
    reviewers: tuple[str, ...],
    base: str | None,
    no_push: bool,
    as_json: bool,
) -> int:
    """Open a hypothesis: next free ID, a branch, a draft plan and a draft merge request.

    Allocates H-NNN (one more than any ID on a branch, here or on the remote, or in
    research/), creates hyp/<id>-<slug> from the base branch, writes
    research/<id>-<slug>/plan.qmd from the template, commits, pushes and opens a draft
    merge request: through git push options, or through the GitLab API when GITLAB_TOKEN
    is set. On any failure nothing is left behind: your branch is checked out again.

    Example: rflow new-hypothesis "Graded target improves recall" --rice 3,3,2,3 --reviewer dave
    """
    from researchflow.commands.new_hypothesis import new_hypothesis as run_new
    from researchflow.output import emit

    result = run_new(
        _config(),
        title,
        rice=rice,
        author=author,
        designer=designer,
        executor=executor,
        reviewers=reviewers,
        base=base,
        push=not no_push,
    )
    emit(result, as_json=as_json)
    return 0


# --- runs: run, link (issue 4) ---------------------------------------------------------


# --- the gate: approve, deviate, report, check, render (issue 5) -------------------------


# --- the portfolio: status, rank, board, doctor (issue 6) --------------------------------


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command and turn its outcome into one exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
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
        if debug:
            traceback.print_exc()
        click.echo(f"rflow: {error}", err=True)
        code = error.exit_code
    except Exception as error:
        if debug:
            raise
        click.echo(
            f"rflow: internal error: {type(error).__name__}: {error} "
            "(rerun with --debug for the traceback)",
            err=True,
        )
        code = 1
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["EXIT_USAGE", "cli", "main"]
