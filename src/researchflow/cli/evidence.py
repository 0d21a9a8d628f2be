"""The rows for the evidence: runs and their store, the report, the gate and records."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from researchflow.cli.run_args import RUN_CONTEXT, RunCommand, command_line
from researchflow.cli.table import (
    FILE,
    JSON_HELP,
    Group,
    Row,
    Values,
    arg,
    command_function,
    hypothesis_arg,
    listed,
    opt,
    reason,
)

if TYPE_CHECKING:
    from researchflow.documents.config import Config


def _run(load_config: Callable[[], Config], values: Values, as_json: bool) -> int:
    """The command's own output goes to stdout, rflow's to stderr (with --json too)."""
    from researchflow.base.output import emit

    args, separated = command_line(values.pop("args"))
    outcome = command_function("run:run")(
        load_config(),
        args,
        separated=separated,
        stdout=sys.stderr if as_json else None,
        announce=lambda text: click.echo(text, err=True),
        **values,
    )
    if as_json:
        emit(outcome, as_json=True)
    else:
        click.echo(outcome.to_text(), err=True)
    return int(outcome.exit_code)


def _shell_words(_ctx: click.Context, _param: click.Parameter, value: str | None) -> object:
    """`--command 'python train.py'` → its words, split as a shell would, never run by one."""
    if value is None:
        return None
    import shlex

    try:
        argv = tuple(shlex.split(value))
    except ValueError as error:
        raise click.UsageError(f"--command: {error} (quote it as a shell would)") from None
    if not argv:
        raise click.UsageError("--command: empty (give the command that made the runs)")
    return argv


def _link(values: Values) -> Values:
    from researchflow.commands.run import split_arguments

    hypothesis_id, run_ids = split_arguments(values.pop("args"))
    return {**values, "hypothesis_id": hypothesis_id, "run_ids": run_ids}


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


def _export(load_config: Callable[[], Config], values: Values, as_json: bool) -> int:
    from researchflow.base.output import emit
    from researchflow.commands.export import export, verify

    output, verify_path = values["output"], values["verify_path"]
    if verify_path is not None:
        if output is not None or values["hypothesis_id"] is not None:
            raise click.UsageError("--verify takes only the record: rflow export --verify FILE.zip")
        emit(verify(verify_path), as_json=as_json)
        return 0
    if output is None:
        raise click.UsageError("-o FILE.zip is required (or --verify FILE.zip)")
    emit(export(load_config(), values["hypothesis_id"], output), as_json=as_json)
    return 0


def paths() -> click.Argument:
    return arg("paths", nargs=-1, type=click.Path(path_type=Path))


STORE_EXPORT_HELP = """Write a hypothesis's runs (tags, params, metric history, times, status, artifacts)
    to one file, for a colleague's clone or a CI job that has no access to this store.

    Example: rflow store export H-007 -o H-007-runs.zip
    """  # noqa: E501  (the help text's first line, as click shows it)

ROWS: list[Row | Group] = [
    Row(
        "run",
        _run,
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
    """,
        [
            arg("args", nargs=-1, type=click.UNPROCESSED),
            opt(
                "--allow-dirty",
                is_flag=True,
                help="Run on uncommitted changes; the run is marked unreproducible "
                "(rflow.git.dirty).",
            ),
            opt(
                "--repeat",
                type=click.IntRange(min=1),
                metavar="N",
                help="Run N seeded repeats (RFLOW_SEED=0..N-1) grouped under a parent run. "
                "Default: the plan's evaluation.repeats for the registered command, else 1.",
            ),
            opt(
                "--jobs",
                type=click.IntRange(min=1),
                default=1,
                show_default=True,
                metavar="J",
                help="Run up to J repeats at once.",
            ),
            opt(
                "--note",
                metavar="TEXT",
                help="One line kept with the run (MLflow's description); shown by diff and the "
                "report.",
            ),
        ],
        json_help=JSON_HELP + " The command's output goes to stderr.",
        cls=RunCommand,
        context_settings=RUN_CONTEXT,
    ),
    Row(
        "link",
        "link:link",
        """Adopt MLflow runs made outside rflow run: rflow link [ID] RUN_ID...

    Each run must carry the mlflow.source.git.commit tag (mlflow.start_run() sets it when
    started from a script in a git checkout) naming a commit of this repository, and must
    not be linked to another hypothesis already. The runs are tagged rflow.hypothesis=ID
    and appended to runs.yaml (source: link). Nothing changes unless every run passes.

    Example: rflow link H-007 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7
    """,
        [
            arg("args", nargs=-1, required=True),
            opt(
                "--command",
                "command",
                default=None,
                callback=_shell_words,
                help="The command that made the runs, e.g. 'python train.py --alpha 0.4' (split "
                "like a shell, never run by one); default: read from the runs' tags.",
            ),
            opt(
                "--exploratory", is_flag=True, help="Mark the runs as exploratory: never evidence."
            ),
        ],
        prepare=_link,
    ),
    Group(
        "runs",
        """Manage the runs linked to a hypothesis.

    Example: rflow runs retire 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7 --reason "ran on the test split"
    """,
        [
            Row(
                "retire",
                "runs_retire:retire",
                """Retire a run that was a mistake: it stays in runs.yaml, in the report and in the
    count of runs tried, with the reason, who retired it and when, but never carries a
    verdict. Nothing is deleted or committed: commit runs.yaml, then `rflow report --update`.

    Example: rflow runs retire 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7 --reason "ran on the test split"
    """,
                [
                    arg("run_id", metavar="RUN"),
                    reason("Why the run was a mistake."),
                ],
            ),
            Row(
                "note",
                "runs_note:note",
                """Keep one line with a run: MLflow's description in the store, and `note:` in the
    runs.yaml that lists it. `rflow diff` and the report's runs table show it. A later
    note replaces the earlier one. Nothing is committed: commit runs.yaml.

    Example: rflow runs note 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7 "lr 0.1 diverged after epoch 3"
    """,
                [arg("run_id", metavar="RUN"), arg("text")],
            ),
            Row(
                "close",
                "runs_close:close",
                """End a run left RUNNING in the store: its rflow was killed or lost the server.

    `rflow check` names such runs. When this checkout started the run, its entry (kept
    under .rflow/pending/) is appended to runs.yaml too; the next `rflow run` does the same
    on its own. Nothing is committed.

    Example: rflow runs close 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7
    """,
                [
                    arg("run_id"),
                    opt(
                        "--status",
                        type=click.Choice(["KILLED", "FAILED"]),
                        default="KILLED",
                        show_default=True,
                        help="How the run ends in the store.",
                    ),
                ],
            ),
        ],
    ),
    Group(
        "store",
        """Move a hypothesis's runs between embedded MLflow stores (no server needed).

    Example: rflow store export H-007 -o H-007-runs.zip
    """,
        [
            Row(
                "export",
                "store:export",
                STORE_EXPORT_HELP,
                [
                    hypothesis_arg(),
                    opt(
                        "-o",
                        "--output",
                        required=True,
                        type=FILE,
                        help="The bundle to write (a zip).",
                    ),
                    opt(
                        "--no-artifacts",
                        "artifacts",
                        is_flag=True,
                        flag_value=False,
                        default=True,
                        help="Leave the runs' artifact files out.",
                    ),
                ],
            ),
            Row(
                "import",
                "store:import_",
                """Add the runs of a bundle made by `rflow store export` to this machine's embedded
    store, under the same run IDs, so `rflow check` finds what runs.yaml names.

    Example: rflow store import H-007-runs.zip && rflow check H-007
    """,
                [arg("bundle", type=FILE)],
            ),
        ],
    ),
    Row(
        "report",
        "report:report",
        """Write report.qmd: predictions vs observed from the linked runs, and a verdict each.

    The results block (between the rflow:results markers) is generated from runs.yaml and
    the MLflow store: baseline, observed value of the primary (latest confirmatory) run,
    effect and verdict per prediction, every run tried, confirmatory and exploratory, and
    the deviations. The rest of the report is yours. Moves the plan to `reported`.

    Example: rflow report H-007 --update
    Example: rflow report H-007 --primary 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7
    """,
        [
            hypothesis_arg(),
            opt(
                "--update",
                is_flag=True,
                help="Regenerate only the results block of an existing report; keep your text.",
            ),
            opt(
                "--primary",
                metavar="RUN",
                help="Rest the verdicts on this confirmatory run instead of the latest; the "
                "report says who chose it.",
            ),
        ],
    ),
    Row(
        "render",
        "render:render_plans",
        """Render the plan and report with Quarto (`quarto render`).

    Code in the documents runs from the repository root. Needs Quarto (quarto.org); without
    it the command says so and exits 2.

    Example: rflow render H-007 --to pdf
    """,
        [
            hypothesis_arg(),
            opt(
                "--only",
                "which",
                type=click.Choice(["plan", "report"]),
                help="Render just one document (default: the plan, and the report when it exists).",
            ),
            opt("--to", "to", metavar="FORMAT", help="Quarto format (default: the plan's format)."),
            opt(
                "--output-dir",
                type=click.Path(path_type=Path, file_okay=False),
                help="Where the rendered files go (default: .rflow/render/<id>-<slug>/).",
            ),
        ],
    ),
    Row(
        "registration-hook",
        "registration_hook:check_registration",
        """Refuse approved plans whose registered content changed without a deviation.

    The `rflow-registration` pre-commit hook; with no PATHS every plan is checked.

    Example: rflow registration-hook research/H-007-graded-target/plan.qmd
    """,
        [paths()],
        prepare=listed("paths"),
        exit_code=True,
        hidden=True,
    ),
    Row(
        "check",
        "check:check",
        """The reproducibility gate: verify that every number in a report can be trusted.

    Seven checks per hypothesis: plan, registration, provenance (runs exist, finished,
    clean, on an ancestor commit, with the same and still-available data), report (the
    results block equals what the store holds), rerun (with --rerun: the primary run
    reproduces on HEAD within each prediction's tolerance), notebooks and render. With no
    ID, the current branch's hypothesis. Exit 0 only when every check passes, 1 when one
    fails, 3 when the MLflow store cannot be reached.

    Example: rflow check --changed --rerun --junit rflow-junit.xml --markdown rflow-summary.md
    """,
        [
            arg("ids", nargs=-1, metavar="[ID]..."),
            opt("--changed", is_flag=True, help="Check the hypotheses this branch changes."),
            opt("--all", "all_", is_flag=True, help="Check every hypothesis in research/."),
            opt(
                "--rerun",
                is_flag=True,
                help="Re-execute the primary run on HEAD and compare its metrics.",
            ),
            opt(
                "--rerun-sample",
                type=click.IntRange(min=1),
                metavar="K",
                help="For a group of repeats, rerun only its first K seeds (implies --rerun).",
            ),
            opt(
                "--execute-notebooks",
                is_flag=True,
                help="Run each notebook top to bottom (nbclient).",
            ),
            opt(
                "--report",
                "reports",
                multiple=True,
                metavar="FORMAT=FILE",
                callback=_report_targets,
                help="Write the result as FORMAT (junit, markdown, json, text) to FILE; "
                "repeatable.",
            ),
            opt("--junit", type=FILE, help="Same as --report junit=FILE (GitLab's test report)."),
            opt(
                "--markdown",
                type=FILE,
                help="Same as --report markdown=FILE (the merge-request summary).",
            ),
            opt(
                "--post-mr-note",
                is_flag=True,
                help="Create or update one sticky note on the merge request (needs GITLAB_TOKEN).",
            ),
        ],
        prepare=listed("ids"),
        exit_code=True,
    ),
    Row(
        "check-notebooks",
        "notebooks:check_notebooks",
        """Check notebooks: valid nbformat, code cells executed top to bottom.

    The entry of the `rflow-notebooks` pre-commit hook.

    Example: rflow check-notebooks research/H-007-graded-target/explore.ipynb
    """,
        [paths()],
        prepare=listed("paths"),
        config=False,
        exit_code=True,
        hidden=True,
    ),
    Row(
        "power",
        "power:power",
        """How many repeats would detect each prediction's min_effect, for the design review.

    Reads the spread (standard deviation) of each predicted metric over the finished runs
    in runs.yaml (before approval they are all exploratory) and prints the repeats a
    two-sided t-test needs to detect min_effect at the plan's alpha with 80% power.
    Register that many as evaluation: {repeats: N} before review. ID defaults to the
    current branch's.

    Example: rflow power H-007
    """,
        [hypothesis_arg()],
    ),
    Row(
        "diff",
        "diff:diff",
        """Two runs side by side: what differs between them.

    Names every difference in the run (hypothesis, status, commit, branch, command, user,
    dirty and its patch), its params, its metrics (with B minus A) and its data versions,
    and the `git diff --stat` between the two commits when this clone has both. Runs of
    different hypotheses and branches compare the same way; both are read from the store.

    Example: rflow diff 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7 8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d
    """,
        [arg("run_a"), arg("run_b")],
    ),
    Row(
        "export",
        _export,
        """Write a self-contained pre-registration record of a hypothesis, or verify one.

    The zip holds the plan as it is and as approved (from git), a table of the approval,
    every deviation and re-approval with dates, people and commits, the report, runs.yaml,
    each run's store facts (tags, params, metrics with the time they were logged, status,
    start and end) as JSON, the result of `rflow check`, and manifest.json with the
    commit and each file's SHA-256. `--verify` exits 1 naming any changed, missing or
    added file.

    Example: rflow export H-007 -o H-007-record.zip && rflow export --verify H-007-record.zip
    """,
        [
            hypothesis_arg(),
            opt("-o", "--output", type=FILE, help="The zip to write, e.g. H-007-record.zip."),
            opt(
                "--verify",
                "verify_path",
                type=FILE,
                help="Re-check a record's checksums against its manifest instead of writing one.",
            ),
        ],
    ),
]
