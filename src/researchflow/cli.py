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
@click.option(
    "--gitlab-ci",
    is_flag=True,
    help="Also add the `rflow check` merge-request job to .gitlab-ci.yml.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def init(with_dvc: bool, gitlab_ci: bool, as_json: bool) -> int:
    """Set up researchflow in an existing git repository. Safe to run again.

    Writes researchflow.yaml, ignores .rflow/, adds rflow's pre-commit hooks next to
    yours and creates the template override folder.

    Example: cd my-project && rflow init
    """
    from researchflow.commands.init import init as run_init
    from researchflow.output import emit

    emit(run_init(_config(), with_dvc=with_dvc, gitlab_ci=gitlab_ci), as_json=as_json)
    return 0


# --- hypotheses: new-hypothesis (issue 3) --------------------------------------------


# --- runs: run, link (issue 4) ---------------------------------------------------------


# --- the gate: approve, deviate, report, check, render (issue 5) -------------------------


@cli.command()
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--changed", is_flag=True, help="Check the hypotheses this branch changes.")
@click.option("--all", "all_", is_flag=True, help="Check every hypothesis in research/.")
@click.option(
    "--rerun", is_flag=True, help="Re-execute the primary run on HEAD and compare its metrics."
)
@click.option(
    "--execute-notebooks", is_flag=True, help="Run each notebook top to bottom (nbclient)."
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a JUnit XML report (GitLab's test report) to this file.",
)
@click.option(
    "--markdown",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the Markdown summary to this file.",
)
@click.option(
    "--post-mr-note",
    is_flag=True,
    help="Create or update one sticky note on the merge request (needs GITLAB_TOKEN).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def check(
    ids: tuple[str, ...],
    changed: bool,
    all_: bool,
    rerun: bool,
    execute_notebooks: bool,
    junit: Path | None,
    markdown: Path | None,
    post_mr_note: bool,
    as_json: bool,
) -> int:
    """The reproducibility gate: verify that every number in a report can be trusted.

    Seven checks per hypothesis: plan, registration, provenance (runs exist, finished,
    clean, on an ancestor commit, with the same and still-available data), report (the
    results block equals what the store holds), rerun (with --rerun: the primary run
    reproduces on HEAD within each prediction's tolerance), notebooks and render. With no
    ID, the current branch's hypothesis. Exit 0 only when every check passes, 1 when one
    fails, 3 when the MLflow store cannot be reached.

    Example: rflow check --changed --rerun --junit rflow-junit.xml --markdown rflow-summary.md
    """
    from researchflow.commands.check import check as run_check
    from researchflow.output import emit

    outcome = run_check(
        _config(),
        list(ids),
        changed=changed,
        all_=all_,
        rerun=rerun,
        execute_notebooks=execute_notebooks,
        junit=junit,
        markdown=markdown,
        post_mr_note=post_mr_note,
    )
    emit(outcome, as_json=as_json)
    return outcome.exit_code


@cli.command("check-notebooks", hidden=True)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def check_notebooks(paths: tuple[Path, ...], as_json: bool) -> int:
    """Check notebooks: valid nbformat, code cells executed top to bottom.

    The entry of the `rflow-notebooks` pre-commit hook.

    Example: rflow check-notebooks research/H-007-graded-target/explore.ipynb
    """
    from researchflow.commands.notebooks import check_notebooks as run_notebooks
    from researchflow.output import emit

    result = run_notebooks(list(paths))
    emit(result, as_json=as_json)
    return result.exit_code


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
