"""The `rflow` command line: options, help text, and errors → exit codes in one place.

Command modules are imported inside each command so `rflow --help` and `rflow validate`
stay fast: nothing heavy (mlflow, dvc, gitlab, nbclient) is imported here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from researchflow import __version__
from researchflow.base.errors import EXIT_USAGE, RflowError

if TYPE_CHECKING:
    from researchflow.documents.config import Config

JSON_HELP = "Print machine-readable JSON instead of text."


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
    from researchflow.base.output import emit
    from researchflow.commands.validate import validate as run_validate

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
@click.option(
    "--install-hook/--no-install-hook",
    default=True,
    show_default=True,
    help="Run `pre-commit install` so plans are validated on every commit.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def init(with_dvc: bool, gitlab_ci: bool, install_hook: bool, as_json: bool) -> int:
    """Set up researchflow in an existing git repository. Safe to run again.

    Writes researchflow.yaml, ignores .rflow/ (and MLflow's own mlflow.db and mlruns/),
    adds rflow's pre-commit hooks next to yours, runs `pre-commit install` and creates the
    template override folder.

    Example: cd my-project && rflow init
    """
    from researchflow.base.output import emit
    from researchflow.commands.init import init as run_init

    result = run_init(_config(), with_dvc=with_dvc, gitlab_ci=gitlab_ci, install_hook=install_hook)
    emit(result, as_json=as_json)
    return 0


# --- hypotheses: new-hypothesis (issue 3) --------------------------------------------


@cli.command("new-hypothesis")
@click.argument("title")
@click.option("--rice", metavar="R,I,C,E", help="Reach, impact, confidence, effort: 1..5 each.")
@click.option("--author", help="Who proposes it. Default: $RFLOW_USER, else git's user.name.")
@click.option("--designer", help="Who designs the experiment.")
@click.option("--executor", help="Who runs it (not the author, unless the plan says why).")
@click.option("--reviewer", "reviewers", multiple=True, help="A reviewer; repeat for more.")
@click.option(
    "--serves",
    "serves",
    multiple=True,
    metavar="METRIC",
    help="A success metric of the problem statement this hypothesis moves; repeat for more.",
)
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
    serves: tuple[str, ...],
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
    from researchflow.base.output import emit
    from researchflow.commands.new_hypothesis import new_hypothesis as run_new

    result = run_new(
        _config(),
        title,
        rice=rice,
        author=author,
        designer=designer,
        executor=executor,
        reviewers=reviewers,
        serves=serves,
        base=base,
        push=not no_push,
    )
    emit(result, as_json=as_json)
    return 0


# --- runs: run, link (issue 4) ---------------------------------------------------------


class _RunCommand(click.Command):
    """`rflow run H-007 --allow-dirty -- cmd`: rflow's own options may follow the ID.

    The command's arguments are not parsed as options (its own `--json` is its own), so
    click stops at the first argument; here the options written between the ID and `--`
    are moved in front of it first. Before `--` an unknown option is a usage error; with
    no `--`, options right after the ID are rflow's and the command starts at the first
    word that is not one. Also remembers whether `--` came before the command: click
    drops a leading one.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = self._reorder(ctx, list(args))
        ctx.meta["rflow.raw_args"] = list(args)  # whether `--` came before the command
        return super().parse_args(ctx, args)

    def _reorder(self, ctx: click.Context, args: list[str]) -> list[str]:
        options: dict[str, click.Option] = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    options[name] = param
        dash = args.index("--") if "--" in args else None
        head = args if dash is None else args[:dash]
        position = None  # the first word that is neither an option nor an option's value
        scan = 0
        while scan < len(head):
            item = head[scan]
            if not item.startswith("-"):
                position = scan
                break
            option = options.get(item.split("=", 1)[0])
            valued = option is not None and not option.is_flag and "=" not in item
            scan += 2 if valued else 1
        if position is None:
            return args
        moved: list[str] = []
        index = position + 1
        while index < len(head):
            item = head[index]
            name = item.split("=", 1)[0]
            if name in options:
                takes_value = not options[name].is_flag and "=" not in item
                width = 2 if takes_value else 1
                moved += head[index : index + width]
                index += width
                continue
            if dash is not None and item.startswith("-"):
                raise click.UsageError(f"No such option: {item}", ctx=ctx)
            break
        if not moved:
            return args
        rest = head[position + 1 + len(moved) :]
        tail = [] if dash is None else args[dash:]
        return [*head[:position], *moved, head[position], *rest, *tail]


def _separated(args: tuple[str, ...]) -> bool:
    """True when the parsed ARGS are exactly what followed the first `--` the user typed."""
    raw: list[str] = click.get_current_context().meta.get("rflow.raw_args", [])
    if "--" not in raw:
        return False
    return list(args) == raw[raw.index("--") + 1 :]


@cli.command(
    cls=_RunCommand,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--allow-dirty",
    is_flag=True,
    help="Run on uncommitted changes; the run is marked unreproducible (rflow.git.dirty).",
)
@click.option(
    "--repeat",
    type=click.IntRange(min=1),
    metavar="N",
    help="Run N seeded repeats (RFLOW_SEED=0..N-1) grouped under a parent run. "
    "Default: the plan's evaluation.repeats for the registered command, else 1.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="J",
    help="Run up to J repeats at once.",
)
@click.option(
    "--note",
    metavar="TEXT",
    help="One line kept with the run (MLflow's description); shown by diff and the report.",
)
@click.option(
    "--json", "as_json", is_flag=True, help=JSON_HELP + " The command's output goes to stderr."
)
def run(
    args: tuple[str, ...],
    allow_dirty: bool,
    repeat: int | None,
    jobs: int,
    note: str | None,
    as_json: bool,
) -> int:
    """Run a command as an MLflow run linked to a hypothesis: rflow run [ID] -- CMD...

    The run is tagged with the hypothesis, the git commit and branch, the command and the
    md5 of every DVC-tracked input; params.yaml values are logged as params. The command
    gets MLFLOW_RUN_ID, MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_ID, so its own
    mlflow.log_metric() calls land in the same run. The run ends FINISHED or FAILED by the
    command's exit status, which rflow passes on; Ctrl-C ends it KILLED. An entry is
    appended to research/<ID>-<slug>/runs.yaml. ID defaults to the current branch's.

    Without CMD the plan's registered command runs, as many times as its
    evaluation.repeats, and its baseline_command under the same seeds: one confirmatory
    experiment. Each repeat is its own run (rflow.repeat, mlflow.parentRunId) and gets
    RFLOW_SEED and RFLOW_REPEAT; a repeat that fails fails alone.

    Example: rflow run H-007 -- python train.py --epochs 3

    Example: rflow run --repeat 10 --jobs 2 H-007
    """
    from researchflow.base.output import emit
    from researchflow.commands.run import run as run_command

    outcome = run_command(
        _config(),
        args,
        separated=_separated(args),
        allow_dirty=allow_dirty,
        repeat=repeat,
        jobs=jobs,
        stdout=sys.stderr if as_json else None,
        announce=lambda text: click.echo(text, err=True),
        note=note,
    )
    if as_json:
        emit(outcome, as_json=True)
    else:
        click.echo(outcome.to_text(), err=True)
    return outcome.exit_code


@cli.command()
@click.argument("args", nargs=-1, required=True)
@click.option(
    "--command",
    "command",
    default=None,
    help="The command that made the runs, e.g. 'python train.py --alpha 0.4' (split like a "
    "shell, never run by one); default: read from the runs' tags.",
)
@click.option("--exploratory", is_flag=True, help="Mark the runs as exploratory: never evidence.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def link(args: tuple[str, ...], command: str | None, exploratory: bool, as_json: bool) -> int:
    """Adopt MLflow runs made outside rflow run: rflow link [ID] RUN_ID...

    Each run must carry the mlflow.source.git.commit tag (mlflow.start_run() sets it when
    started from a script in a git checkout) naming a commit of this repository, and must
    not be linked to another hypothesis already. The runs are tagged rflow.hypothesis=ID
    and appended to runs.yaml (source: link). Nothing changes unless every run passes.

    Example: rflow link H-007 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7
    """
    from researchflow.base.output import emit
    from researchflow.commands.link import link as run_link
    from researchflow.commands.run import split_arguments

    hypothesis_id, run_ids = split_arguments(args)
    argv = None
    if command is not None:
        import shlex

        try:
            argv = tuple(shlex.split(command))
        except ValueError as error:
            raise click.UsageError(f"--command: {error} (quote it as a shell would)") from None
        if not argv:
            raise click.UsageError("--command: empty (give the command that made the runs)")
    result = run_link(_config(), hypothesis_id, run_ids, command=argv, exploratory=exploratory)
    emit(result, as_json=as_json)
    return 0


@cli.group()
def runs() -> None:
    """Manage the runs linked to a hypothesis.

    Example: rflow runs retire 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7 --reason "ran on the test split"
    """


@runs.command("retire")
@click.argument("run_id", metavar="RUN")
@click.option("--reason", required=True, help="Why the run was a mistake.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def runs_retire(run_id: str, reason: str, as_json: bool) -> int:
    """Retire a run that was a mistake: it stays in runs.yaml, in the report and in the
    count of runs tried, with the reason, who retired it and when, but never carries a
    verdict. Nothing is deleted or committed: commit runs.yaml, then `rflow report --update`.

    Example: rflow runs retire 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7 --reason "ran on the test split"
    """
    from researchflow.base.output import emit
    from researchflow.commands.runs_retire import retire

    emit(retire(_config(), run_id, reason), as_json=as_json)
    return 0


@runs.command("note")
@click.argument("run_id", metavar="RUN")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def runs_note(run_id: str, text: str, as_json: bool) -> int:
    """Keep one line with a run: MLflow's description in the store, and `note:` in the
    runs.yaml that lists it. `rflow diff` and the report's runs table show it. A later
    note replaces the earlier one. Nothing is committed: commit runs.yaml.

    Example: rflow runs note 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7 "lr 0.1 diverged after epoch 3"
    """
    from researchflow.base.output import emit
    from researchflow.commands.runs_note import note

    emit(note(_config(), run_id, text), as_json=as_json)
    return 0


@runs.command("close")
@click.argument("run_id")
@click.option(
    "--status",
    type=click.Choice(["KILLED", "FAILED"]),
    default="KILLED",
    show_default=True,
    help="How the run ends in the store.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def runs_close(run_id: str, status: str, as_json: bool) -> int:
    """End a run left RUNNING in the store: its rflow was killed or lost the server.

    `rflow check` names such runs. When this checkout started the run, its entry (kept
    under .rflow/pending/) is appended to runs.yaml too; the next `rflow run` does the same
    on its own. Nothing is committed.

    Example: rflow runs close 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7
    """
    from researchflow.base.output import emit
    from researchflow.commands.runs_close import close

    emit(close(_config(), run_id, status), as_json=as_json)
    return 0


@cli.group()
def store() -> None:
    """Move a hypothesis's runs between embedded MLflow stores (no server needed).

    Example: rflow store export H-007 -o H-007-runs.zip
    """


@store.command("export")
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The bundle to write (a zip).",
)
@click.option("--no-artifacts", is_flag=True, help="Leave the runs' artifact files out.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def store_export(hypothesis_id: str | None, output: Path, no_artifacts: bool, as_json: bool) -> int:
    """Write a hypothesis's runs (tags, params, metric history, times, status, artifacts)
    to one file, for a colleague's clone or a CI job that has no access to this store.

    Example: rflow store export H-007 -o H-007-runs.zip
    """
    from researchflow.base.output import emit
    from researchflow.commands.store import export

    emit(export(_config(), hypothesis_id, output, artifacts=not no_artifacts), as_json=as_json)
    return 0


@store.command("import")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def store_import(bundle: Path, as_json: bool) -> int:
    """Add the runs of a bundle made by `rflow store export` to this machine's embedded
    store, under the same run IDs, so `rflow check` finds what runs.yaml names.

    Example: rflow store import H-007-runs.zip && rflow check H-007
    """
    from researchflow.base.output import emit
    from researchflow.commands.store import import_

    emit(import_(_config(), bundle), as_json=as_json)
    return 0


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
    from researchflow.base.output import emit
    from researchflow.commands.approve import approve as run_approve

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
    from researchflow.base.output import emit
    from researchflow.commands.deviate import deviate as run_deviate

    emit(run_deviate(_config(), hypothesis_id, reason), as_json=as_json)
    return 0


# --- the lifecycle: start, hold, resume, conclude, abandon (issues 14, 16) ---------------


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option(
    "--override",
    metavar="REASON",
    help="Pass the team's limit anyway; the reason is recorded in lifecycle: and shown.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def start(hypothesis_id: str | None, override: str | None, as_json: bool) -> int:
    """Start work on an approved plan: approved → running.

    Refused until a reviewer has approved the plan, when the acting user is not the
    plan's executor (unless roles.reason waives it), and when the executor already runs
    `wip_limit` hypotheses (unless --override "why"). Sets `status: running` and appends
    `{event: start, at, by}` to `lifecycle:` in plan.qmd; the timebox counts from here.
    Nothing is committed: commit the plan.

    Example: RFLOW_USER=carol rflow start H-007
    """
    from researchflow.base.output import emit
    from researchflow.commands.lifecycle import start as run_start

    emit(run_start(_config(), hypothesis_id, override), as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option("--reason", required=True, help="Why the work pauses, in one sentence.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def hold(hypothesis_id: str | None, reason: str, as_json: bool) -> int:
    """Pause a running hypothesis: running → hold.

    A held hypothesis leaves its executor's WIP count and its timebox clock stops until
    `rflow resume`. Edits only plan.qmd's front matter; nothing is committed.

    Example: rflow hold H-007 --reason "waiting for the March data export"
    """
    from researchflow.base.output import emit
    from researchflow.commands.lifecycle import hold as run_hold

    emit(run_hold(_config(), hypothesis_id, reason), as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def resume(hypothesis_id: str | None, as_json: bool) -> int:
    """Take a held hypothesis up again: hold → running.

    Example: rflow resume H-007
    """
    from researchflow.base.output import emit
    from researchflow.commands.lifecycle import resume as run_resume

    emit(run_resume(_config(), hypothesis_id), as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option(
    "--outcome",
    type=click.Choice(["confirmed", "refuted", "inconclusive"]),
    help="Default: what the report's verdicts say (all confirmed, any refuted, else "
    "inconclusive). A different outcome needs a --conclusion that names the report's verdict.",
)
@click.option("--conclusion", required=True, help="What was learned, in one line.")
@click.option(
    "--decision",
    type=click.Choice(["ship", "iterate", "stop"]),
    help="Should the model go to production? Written to report.qmd's front matter.",
)
@click.option("--decision-reason", help="Why, in one line. Written to report.qmd.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def conclude(
    hypothesis_id: str | None,
    outcome: str | None,
    conclusion: str,
    decision: str | None,
    decision_reason: str | None,
    as_json: bool,
) -> int:
    """Close a reported hypothesis: reported → concluded, with its outcome.

    Sets `status: concluded`, `outcome` and `conclusion` in plan.qmd and appends a
    `lifecycle:` event; `--decision`/`--decision-reason` go into report.qmd's front matter
    (required there unless already written). Refuted hypotheses are concluded and merged
    too: they are knowledge. Nothing is committed.

    Example: rflow conclude H-007 --conclusion "graded target lifts recall@10 by 0.03"
    --decision ship --decision-reason "beats the baseline at equal latency"
    """
    from researchflow.base.output import emit
    from researchflow.commands.lifecycle import conclude as run_conclude

    result = run_conclude(
        _config(),
        hypothesis_id,
        conclusion=conclusion,
        outcome=outcome,
        decision=decision,
        decision_reason=decision_reason,
    )
    emit(result, as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option("--reason", required=True, help="Why the hypothesis is given up.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def abandon(hypothesis_id: str | None, reason: str, as_json: bool) -> int:
    """Give up a hypothesis that is not concluded: → abandoned, with the reason.

    Example: rflow abandon H-007 --reason "the data source was retired"
    """
    from researchflow.base.output import emit
    from researchflow.commands.lifecycle import abandon as run_abandon

    emit(run_abandon(_config(), hypothesis_id, reason), as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option("--days", type=int, required=True, help="Days to add to the timebox.")
@click.option("--reason", required=True, help="Why the work needs longer.")
@click.option(
    "--override",
    metavar="REASON",
    help="Pass the team's limit anyway; the reason is recorded in lifecycle: and shown.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def extend(
    hypothesis_id: str | None, days: int, reason: str, override: str | None, as_json: bool
) -> int:
    """Lengthen the timebox without a deviation: the timebox is not registered content.

    Raises `timebox_days` by DAYS and appends `{event: extend, days, reason}` to
    `lifecycle:` (append-only; the board shows the extension). Runs stay confirmatory.
    The executor extends; past `timebox_max_days` only with --override "why".
    Nothing is committed.

    Example: rflow extend H-007 --days 3 --reason "the March data arrived late"
    """
    from researchflow.base.output import emit
    from researchflow.commands.lifecycle import extend as run_extend

    emit(run_extend(_config(), hypothesis_id, days, reason, override), as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option("--result", required=True, help="What the pilot or A/B test showed, in one line.")
@click.option("--plan-b", "plan_b", required=True, help="What the team does if it disappoints.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def shipped(hypothesis_id: str | None, result: str, plan_b: str, as_json: bool) -> int:
    """After a concluded ship decision: record the pilot or A/B result and plan B.

    Writes `shipped: {result, plan_b, by, at}` into report.qmd's front matter; the board's
    research log shows it beside the decision. Nothing is committed.

    Example: rflow shipped H-007 --result "A/B: retention +1.8 % over 4 weeks"
    --plan-b "fall back to the tenure rule if retention drops below control"
    """
    from researchflow.base.output import emit
    from researchflow.commands.lifecycle import shipped as run_shipped

    emit(run_shipped(_config(), hypothesis_id, result, plan_b), as_json=as_json)
    return 0


@cli.command("phase")
@click.argument("args", nargs=-1, required=True, metavar="[ID] PHASE")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def phase_command(args: tuple[str, ...], as_json: bool) -> int:
    """Enter a phase of the team's lifecycle: research, data-exploration, modelling,
    productization, ab-test, results-analysis (or the `phases:` of researchflow.yaml).

    Appends `{event: phase, phase, at, by}` to `lifecycle:` and names the phase's
    deliverable; the board shows each card's phase and the digest the days spent in each.
    Nothing is committed.

    Example: rflow phase H-007 modelling
    """
    from researchflow.base.output import emit
    from researchflow.commands.lifecycle import phase

    if len(args) > 2:
        raise click.UsageError("give [ID] PHASE, e.g. rflow phase H-007 modelling")
    hypothesis_id, name = (args[0], args[1]) if len(args) == 2 else (None, args[0])
    emit(phase(_config(), hypothesis_id, name), as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def signoff(hypothesis_id: str | None, as_json: bool) -> int:
    """Sign off the results of a reported hypothesis: the team reviewed the report.

    The acting user must be a reviewer who is none of author, designer and executor.
    Appends `{event: signoff, at, by}` to `lifecycle:`; `rflow conclude` requires it.
    Nothing is committed: commit the plan.

    Example: RFLOW_USER=dave rflow signoff H-007
    """
    from researchflow.base.output import emit
    from researchflow.commands.lifecycle import signoff as run_signoff

    emit(run_signoff(_config(), hypothesis_id), as_json=as_json)
    return 0


# --- intake and the weekly view: idea, groom, digest (issue 16) --------------------------


@cli.command()
@click.argument("title")
@click.option(
    "--rice", metavar="R,I,C,E", required=True, help="Reach, impact, confidence, effort: 1..5 each."
)
@click.option("--author", help="Who proposes it. Default: $RFLOW_USER, else git's user.name.")
@click.option(
    "--serves",
    "serves",
    multiple=True,
    metavar="METRIC",
    help="A success metric of the problem statement it would move; repeat for more.",
)
@click.option(
    "--base", help="The branch holding the backlog. Default: base_branch, else the default."
)
@click.option("--no-push", is_flag=True, help="Only commit it on the local base branch.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def idea(
    title: str,
    rice: str,
    author: str | None,
    serves: tuple[str, ...],
    base: str | None,
    no_push: bool,
    as_json: bool,
) -> int:
    """Put an idea in the backlog: an ID and a RICE score, no branch yet.

    Appends the idea to research/backlog.yaml in one commit on the base branch and pushes
    it (with the ID's reservation, so no one else takes the ID). `rflow rank` and `rflow
    board` show it with the drafts; `rflow groom ID` later makes the branch, the plan and
    the draft merge request.

    Example: rflow idea "Graded target improves recall" --rice 3,3,2,3
    """
    from researchflow.base.output import emit
    from researchflow.commands.idea import idea as run_idea

    result = run_idea(
        _config(), title, rice=rice, author=author, serves=serves, base=base, push=not no_push
    )
    emit(result, as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="ID")
@click.option("--designer", help="Who designs the experiment.")
@click.option("--executor", help="Who runs it (not the author, unless the plan says why).")
@click.option("--reviewer", "reviewers", multiple=True, help="A reviewer; repeat for more.")
@click.option("--base", help="Branch to start from. Default: base_branch, else the default.")
@click.option("--no-push", is_flag=True, help="Only create the branch and plan locally.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def groom(
    hypothesis_id: str,
    designer: str | None,
    executor: str | None,
    reviewers: tuple[str, ...],
    base: str | None,
    no_push: bool,
    as_json: bool,
) -> int:
    """Turn a backlog idea into a hypothesis: its branch, its plan and a draft merge request.

    Same as `rflow new-hypothesis ID`: the idea's ID, title, RICE score, author and served
    metrics carry over; name the executor the team assigned.

    Example: rflow groom H-012 --executor carol --reviewer dave
    """
    from researchflow.base.output import emit
    from researchflow.commands.new_hypothesis import new_hypothesis as run_new

    result = run_new(
        _config(),
        hypothesis_id,
        designer=designer,
        executor=executor,
        reviewers=reviewers,
        base=base,
        push=not no_push,
    )
    emit(result, as_json=as_json)
    return 0


@cli.command()
@click.option("--since", default="7d", show_default=True, help="The period: 7d, 2w, or a date.")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the Markdown here."
)
@click.option(
    "--post-issue",
    type=int,
    metavar="IID",
    help="Post it as a comment on this GitLab issue (needs GITLAB_TOKEN).",
)
@click.option("--until", "until", metavar="DATE", hidden=True, help="End of the period (tests).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def digest(
    since: str, output: Path | None, post_issue: int | None, until: str | None, as_json: bool
) -> int:
    """The weekly summary for the team meeting, in Markdown.

    Approved, started, reported and concluded hypotheses (with outcomes and ship
    decisions), overdue and held ones, cycle time from approval to conclusion (median and
    per hypothesis) and throughput per week. Printed, written with --output, or posted as
    a GitLab issue comment with --post-issue.

    Example: rflow digest --since 7d --post-issue 12
    """
    from researchflow.base.output import emit
    from researchflow.commands.digest import digest as run_digest

    end = None
    if until is not None:
        import datetime as dt

        try:
            end = dt.datetime.fromisoformat(until.replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter("use YYYY-MM-DD", param_hint="--until") from None
        if end.tzinfo is None:
            end = end.replace(tzinfo=dt.UTC)
    result = run_digest(_config(), since=since, until=end, output=output, post_issue=post_issue)
    emit(result, as_json=as_json)
    return 0


@cli.command()
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option(
    "--update",
    is_flag=True,
    help="Regenerate only the results block of an existing report; keep your text.",
)
@click.option(
    "--primary",
    metavar="RUN",
    help="Rest the verdicts on this confirmatory run instead of the latest; the report "
    "says who chose it.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def report(hypothesis_id: str | None, update: bool, primary: str | None, as_json: bool) -> int:
    """Write report.qmd: predictions vs observed from the linked runs, and a verdict each.

    The results block (between the rflow:results markers) is generated from runs.yaml and
    the MLflow store: baseline, observed value of the primary (latest confirmatory) run,
    effect and verdict per prediction, every run tried, confirmatory and exploratory, and
    the deviations. The rest of the report is yours. Moves the plan to `reported`.

    Example: rflow report H-007 --update
    Example: rflow report H-007 --primary 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7
    """
    from researchflow.base.output import emit
    from researchflow.commands.report import report as run_report

    emit(run_report(_config(), hypothesis_id, update=update, primary=primary), as_json=as_json)
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
    from researchflow.base.output import emit
    from researchflow.commands.render import render_plans

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
    from researchflow.base.output import emit
    from researchflow.commands.registration_hook import check_registration

    result = check_registration(_config(), list(paths))
    emit(result, as_json=as_json)
    return result.exit_code


# check (5b)


def _report_targets(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, Path], ...]:
    """`--report FORMAT=FILE` → (format, path) pairs; an unknown format is a usage error."""
    from researchflow.checks.reporters import RENDERERS

    targets = []
    for value in values:
        name, sep, file = value.partition("=")
        if not sep or not file or name not in RENDERERS:
            known = ", ".join(sorted(RENDERERS))
            raise click.BadParameter(f"{value!r}: use FORMAT=FILE with FORMAT one of {known}")
        targets.append((name, Path(file)))
    return tuple(targets)


@cli.command()
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--changed", is_flag=True, help="Check the hypotheses this branch changes.")
@click.option("--all", "all_", is_flag=True, help="Check every hypothesis in research/.")
@click.option(
    "--rerun", is_flag=True, help="Re-execute the primary run on HEAD and compare its metrics."
)
@click.option(
    "--rerun-sample",
    type=click.IntRange(min=1),
    metavar="K",
    help="For a group of repeats, rerun only its first K seeds (implies --rerun).",
)
@click.option(
    "--execute-notebooks", is_flag=True, help="Run each notebook top to bottom (nbclient)."
)
@click.option(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT=FILE",
    callback=_report_targets,
    help="Write the result as FORMAT (junit, markdown, json, text) to FILE; repeatable.",
)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Same as --report junit=FILE (GitLab's test report).",
)
@click.option(
    "--markdown",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Same as --report markdown=FILE (the merge-request summary).",
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
    rerun_sample: int | None,
    execute_notebooks: bool,
    reports: tuple[tuple[str, Path], ...],
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
    from researchflow.base.output import emit
    from researchflow.commands.check import check as run_check

    outcome = run_check(
        _config(),
        list(ids),
        changed=changed,
        all_=all_,
        rerun=rerun,
        rerun_sample=rerun_sample,
        execute_notebooks=execute_notebooks,
        junit=junit,
        markdown=markdown,
        post_mr_note=post_mr_note,
        reports=reports,
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
    from researchflow.base.output import emit
    from researchflow.commands.notebooks import check_notebooks as run_notebooks

    result = run_notebooks(list(paths))
    emit(result, as_json=as_json)
    return result.exit_code


@cli.group("backlog")
def backlog_group() -> None:
    """Keep the backlog honest: hold, resume, drop or re-score an idea not yet groomed.

    Each step appends `{event, by, at, reason}` to the idea's history in
    research/backlog.yaml and commits it on the base branch (pushed like `rflow idea`;
    --no-push commits locally). `rflow status` warns when an open idea waits longer than
    grooming_max_days (default 2); held ones do not count, dropped ones leave the ranking.

    Example: rflow backlog drop H-012 --reason "the data source is gone"
    """


def _backlog_step(event: str, help_text: str, with_rice: bool = False) -> None:
    @backlog_group.command(event, help=help_text)
    @click.argument("idea_id", metavar="ID")
    @click.option("--reason", required=True, help="Why, in one sentence.")
    @click.option(
        "--rice",
        required=with_rice,
        hidden=not with_rice,
        help="The new score: reach,impact,confidence,effort, each 1..5.",
    )
    @click.option("--base", help="Branch the backlog lives on. Default: base_branch.")
    @click.option("--no-push", is_flag=True, help="Commit on the local base branch only.")
    @click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
    def step(
        idea_id: str,
        reason: str,
        rice: str | None,
        base: str | None,
        no_push: bool,
        as_json: bool,
    ) -> int:
        from researchflow.base.output import emit
        from researchflow.commands.backlog import change

        result = change(
            _config(), idea_id, event, reason=reason, rice=rice, base=base, push=not no_push
        )
        emit(result, as_json=as_json)
        return 0


_backlog_step("hold", "Put an idea on hold: it stays listed, off the grooming clock.")
_backlog_step("resume", "Take a held idea up again: its grooming clock restarts.")
_backlog_step("drop", "Drop an idea, with the reason: it leaves the ranking, never deleted.")
_backlog_step("rescore", "Give an idea a new RICE score; the old one stays in its history.", True)


# --- statistics: power (issue 12) ------------------------------------------------------


@cli.command()
@click.argument("hypothesis_id", required=False, metavar="[ID]")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def power(hypothesis_id: str | None, as_json: bool) -> int:
    """How many repeats would detect each prediction's min_effect, for the design review.

    Reads the spread (standard deviation) of each predicted metric over the finished runs
    in runs.yaml (before approval they are all exploratory) and prints the repeats a
    two-sided t-test needs to detect min_effect at the plan's alpha with 80% power.
    Register that many as evaluation: {repeats: N} before review. ID defaults to the
    current branch's.

    Example: rflow power H-007
    """
    from researchflow.base.output import emit
    from researchflow.commands.power import power as run_power

    emit(run_power(_config(), hypothesis_id), as_json=as_json)
    return 0


# --- records to compare and hand over: diff, export (issue 26) ------------------------


@cli.command("diff")
@click.argument("run_a")
@click.argument("run_b")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def diff_runs(run_a: str, run_b: str, as_json: bool) -> int:
    """Two runs side by side: what differs between them.

    Names every difference in the run (hypothesis, status, commit, branch, command, user,
    dirty and its patch), its params, its metrics (with B minus A) and its data versions,
    and the `git diff --stat` between the two commits when this clone has both. Runs of
    different hypotheses and branches compare the same way; both are read from the store.

    Example: rflow diff 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7 8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d
    """
    from researchflow.base.output import emit
    from researchflow.commands.diff import diff as run_diff

    emit(run_diff(_config(), run_a, run_b), as_json=as_json)
    return 0


@cli.command("export")
@click.argument("hypothesis_id", metavar="[ID]", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The zip to write, e.g. H-007-record.zip.",
)
@click.option(
    "--verify",
    "verify_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Re-check a record's checksums against its manifest instead of writing one.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def export_record(
    hypothesis_id: str | None, output: Path | None, verify_path: Path | None, as_json: bool
) -> int:
    """Write a self-contained pre-registration record of a hypothesis, or verify one.

    The zip holds the plan as it is and as approved (from git), a table of the approval,
    every deviation and re-approval with dates, people and commits, the report, runs.yaml,
    each run's store facts (tags, params, metrics with the time they were logged, status,
    start and end) as JSON, the result of `rflow check`, and manifest.json with the
    commit and each file's SHA-256. `--verify` exits 1 naming any changed, missing or
    added file.

    Example: rflow export H-007 -o H-007-record.zip && rflow export --verify H-007-record.zip
    """
    from researchflow.base.output import emit
    from researchflow.commands.export import export, verify

    if verify_path is not None:
        if output is not None or hypothesis_id is not None:
            raise click.UsageError("--verify takes only the record: rflow export --verify FILE.zip")
        emit(verify(verify_path), as_json=as_json)
        return 0
    if output is None:
        raise click.UsageError("-o FILE.zip is required (or --verify FILE.zip)")
    emit(export(_config(), hypothesis_id, output), as_json=as_json)
    return 0


# --- the portfolio: status, rank, board, doctor (issue 6) --------------------------------


@cli.command()
@click.option(
    "--by",
    "by",
    type=click.Choice(["metric"]),
    help="Group by the problem statement's success metrics: who serves each, what is confirmed.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def status(by: str | None, as_json: bool) -> int:
    """Every hypothesis on every branch, without checking any out.

    Reads each local and remote-tracking hypothesis branch's plan.qmd and runs.yaml from
    git (committed content), plus the merged and concluded hypotheses on the default
    branch. Shows ID, status/outcome, executor, RICE score, age in days, runs and days
    past the timebox, and warns when an executor runs more than one hypothesis at once or
    a running hypothesis has outlived its timebox. A broken plan is listed as broken.

    Example: rflow status --json
    """
    from researchflow.base.output import emit
    from researchflow.commands.status import status as run_status

    emit(run_status(_config(), by_metric=by == "metric"), as_json=as_json)
    return 0


@cli.command()
@click.option(
    "--all", "include_all", is_flag=True, help="Rank every hypothesis, not only the backlog."
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def rank(include_all: bool, as_json: bool) -> int:
    """The backlog (draft, review, approved) by RICE score, highest first.

    RICE = reach × impact × confidence × effort, each 1..5 (effort 5 = easiest); ties go
    to the lower ID. The four factors are shown so the team can argue about them.

    Example: rflow rank
    """
    from researchflow.base.output import emit
    from researchflow.commands.rank import rank as run_rank

    emit(run_rank(_config(), include_all=include_all), as_json=as_json)
    return 0


@cli.command()
@click.option(
    "--html",
    "html",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write. Default: .rflow/board.html (git-ignored).",
)
@click.option(
    "--swimlanes/--no-swimlanes",
    default=True,
    show_default=True,
    help="Open the page on the rows per executor (the page has a toggle either way).",
)
@click.option(
    "--digest",
    "digest_link",
    metavar="URL",
    help="Link the weekly digest (a file or a GitLab issue) from the board's header.",
)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def board(html: Path | None, swimlanes: bool, digest_link: str | None, as_json: bool) -> int:
    """Write the portfolio as one self-contained HTML page.

    A Kanban column per status with a card per hypothesis (RICE, executor, age, outcome),
    and a research log of concluded hypotheses with their outcome and one-line
    conclusion, refuted ones included. No network assets: open it anywhere.

    With no --html the page goes to .rflow/board.html.

    Example: rflow board --html board.html
    """
    from researchflow.base.output import emit
    from researchflow.commands.board import board as run_board

    config = _config()
    if html is None:
        html = config.state_path / "board.html"
        html.parent.mkdir(parents=True, exist_ok=True)
    emit(run_board(config, html, swimlanes=swimlanes, digest_link=digest_link), as_json=as_json)
    return 0


@cli.command()
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def doctor(as_json: bool) -> int:
    """Say what is installed and reachable, and how to fix what is not.

    Checks git, DVC, the MLflow store, Quarto, the GitLab settings (and whether
    GITLAB_TOKEN is set, never its value) and rflow's pre-commit hook. Exit 0 when every
    required check passes (Quarto is optional unless quarto.required), 1 otherwise.

    Example: rflow doctor
    """
    from researchflow.base.output import emit
    from researchflow.commands.doctor import doctor as run_doctor

    result = run_doctor(_config())
    emit(result, as_json=as_json)
    return result.exit_code


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
