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


# --- runs: run, link (issue 4) ---------------------------------------------------------


# --- the gate: approve, deviate, report, check, render (issue 5) -------------------------


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def approve(hypothesis_id: str | None, as_json: bool) -> int:
    """Approve a plan in review: pre-register it before any run counts.

    The acting reviewer (RFLOW_USER, else git's user.name) must not be the plan's author
    and, when reviewers are named, must be one of them. Writes `approval: {by, at,
    digest}` and `status: approved` into plan.qmd; the digest covers the hypothesis,
    predictions, data and experiment design. Nothing is committed: commit the plan.

    Example: RFLOW_USER=dave rflow approve H-007
    """
    from researchflow.commands.approve import approve as run_approve
    from researchflow.output import emit

    emit(run_approve(_config(), hypothesis_id), as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option("--reason", required=True, help="What changed from the approved plan, and why.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def deviate(hypothesis_id: str | None, reason: str, as_json: bool) -> int:
    """Record a deviation from the approved plan, after editing it.

    Appends `{at, by, reason, digest}` to `deviations` in plan.qmd with the digest of the
    plan as it is now, so the registration hook lets the change through. Runs started
    after a deviation are exploratory; the report lists every deviation.

    Example: rflow deviate H-007 --reason "responses.csv lost March; window moved a week"
    """
    from researchflow.commands.deviate import deviate as run_deviate
    from researchflow.output import emit

    emit(run_deviate(_config(), hypothesis_id, reason), as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option(
    "--update",
    is_flag=True,
    help="Regenerate only the results block of an existing report; keep your text.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def report(hypothesis_id: str | None, update: bool, as_json: bool) -> int:
    """Write report.qmd: predictions vs observed from the linked runs, and a verdict each.

    The results block (between the rflow:results markers) is generated from runs.yaml and
    the MLflow store: baseline, observed value of the primary (latest confirmatory) run,
    effect and verdict per prediction, every run tried, confirmatory and exploratory, and
    the deviations. The rest of the report is yours. Moves the plan to `reported`.

    Example: rflow report H-007 --update
    """
    from researchflow.commands.report import report as run_report
    from researchflow.output import emit

    emit(run_report(_config(), hypothesis_id, update=update), as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option(
    "--only",
    type=click.Choice(["plan", "report"]),
    help="Render just one document (default: the plan, and the report when it exists).",
)
@click.option("--to", "to", metavar="FORMAT", help="Quarto format (default: the plan's format).")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the rendered files go (default: .rflow/render/<id>-<slug>/).",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def render(
    hypothesis_id: str | None,
    only: str | None,
    to: str | None,
    output_dir: Path | None,
    as_json: bool,
) -> int:
    """Render the plan and report with Quarto (`quarto render`).

    Code in the documents runs from the repository root. Needs Quarto (quarto.org); without
    it the command says so and exits 2.

    Example: rflow render H-007 --to pdf
    """
    from researchflow.commands.render import render_plans
    from researchflow.output import emit

    result = render_plans(_config(), hypothesis_id, which=only, to=to, output_dir=output_dir)
    emit(result, as_json=as_json)
    return 0


@cli.command("registration-hook", hidden=True)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def registration_hook(paths: tuple[Path, ...], as_json: bool) -> int:
    """Refuse approved plans whose registered content changed without a deviation.

    The `rflow-registration` pre-commit hook; with no PATHS every plan is checked.

    Example: rflow registration-hook research/H-007-graded-target/plan.qmd
    """
    from researchflow.commands.registration_hook import check_registration
    from researchflow.output import emit

    result = check_registration(_config(), list(paths))
    emit(result, as_json=as_json)
    return result.exit_code


# check (5b)


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
