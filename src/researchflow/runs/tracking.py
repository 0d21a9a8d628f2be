"""A command as a linked run (`rflow run`, `rflow check --rerun`), a run's one-line note,
and the public Python API (`researchflow.run`). Tags: runs/tags.py; starting and finishing
the run: runs/linked.py.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen, replace
from researchflow.base.names import NOTE
from researchflow.base.output import attributes
from researchflow.documents.config import Config, tracking_uri
from researchflow.documents.project import shown_under
from researchflow.documents.runlog import RunEntry
from researchflow.runs.linked import (
    finish_run_recording,
    forget_pending,
    remember_pending,
    start_linked_run,
)

if TYPE_CHECKING:
    from collections.abc import Callable


MAX_NOTE = 500  # one line, not a lab notebook: the report's runs table shows it


def clean_note(text: str, option: str = "TEXT") -> str:
    """A run note as one line, or the usage error naming `option`."""
    note = " ".join(text.split())
    if not note:
        raise UserError(f"{option}: empty (write one line about the run)")
    if len(note) > MAX_NOTE:
        raise UserError(f"{option}: {len(note)} characters (keep a note to {MAX_NOTE})")
    return note


def keep_note(config: Config, run_id: str, note: str) -> Path:
    """Set the run's note in the store (MLflow's description) and in the runs.yaml that
    lists it, store first so runs.yaml never claims what the store lacks; that runs.yaml."""
    from researchflow.adapters.mlflow import open_store
    from researchflow.documents.runlog import find_runs_file, update_run

    path = find_runs_file(config.root, config.research_dir, run_id)
    store = open_store(tracking_uri(config))
    store.check()
    store.set_tag(run_id, NOTE, note)
    update_run(path, run_id, lambda found: replace(found, note=note))
    return path


# --- a command as a linked run (`rflow run`, `rflow check --rerun`) ----------------------


@frozen
class RunOutcome:
    run_id: str
    exit_code: int
    entry: RunEntry
    runs_file: str | None = None  # where the entry was recorded, None when not recorded
    url: str | None = None
    notes: tuple[str, ...] = ()  # what rflow did around the command, and the next step

    def to_json(self) -> dict[str, Any]:
        return {
            **attributes(self, "run_id", "exit_code", "runs_file", "url"),
            "notes": list(self.notes),
            **self.entry.to_dict(),
        }

    def to_text(self) -> str:
        where = f", recorded in {self.runs_file}" if self.runs_file else ""
        lines = [f"rflow: {note}" for note in self.notes]
        lines.append(f"rflow: run {self.run_id} {self.entry.status} (exit {self.exit_code}){where}")
        return "\n".join(lines)


def execute_run(
    config: Config,
    hypothesis_id: str | None,
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    allow_dirty: bool = False,
    extra_tags: Mapping[str, str] | None = None,
    source: str = "run",
    rerun_of: str | None = None,
    record: bool = True,
    stdout: IO[Any] | int | None = None,
    announce: Callable[[str], object] | None = None,
    environment: Mapping[str, str] | None = None,
    folder: str = "",
) -> RunOutcome:
    """Run `argv` as a linked MLflow run; the outcome carries the child's exit status.

    The child's output streams live (to `stdout` when given). `announce(text)` is called
    once the run exists, before the child starts. `environment`: what the child starts
    from instead of rflow's own (the gate's rerun passes an allow-listed one). `folder`:
    with `cwd` (a rerun's worktree), the working folder inside it the original run was
    started in.
    """
    from researchflow.adapters.mlflow import ui_url
    from researchflow.adapters.process import require_executable, supervise

    if not argv:
        from researchflow.process.hypotheses import registered_command

        argv = registered_command(config, hypothesis_id)  # the plan's registered command
    child_cwd = Path(cwd) if cwd else Path.cwd()
    if cwd and folder and (child_cwd / folder).is_dir():
        child_cwd = child_cwd / folder
    require_executable(argv[0], child_cwd)
    started = start_linked_run(
        config,
        hypothesis_id,
        argv,
        cwd=cwd,
        allow_dirty=allow_dirty,
        extra_tags=extra_tags,
        rerun=source == "rerun",
        workdir=_folder_in(Path(cwd) if cwd else config.root, child_cwd),
    )
    url = ui_url(started.tracking_uri, started.experiment_id, started.run_id)
    if record:  # a kill -9 of rflow from here on: the next rflow ends the run KILLED
        remember_pending(started, "KILLED")
    if announce is not None:
        for note in started.notes:
            announce(f"rflow: {note}")
        shown = url or started.tracking_uri
        announce(f"rflow: run {started.run_id} for {started.hypothesis} ({shown})")
    try:
        ended = supervise(argv, child_cwd, started.child_environment(), stdout, environment)
    except OSError as error:
        finish_run_recording(started, "FAILED", record=False)  # never leave it RUNNING
        forget_pending(started)
        raise UserError(f"{argv[0]}: cannot be started: {error.strerror}") from None
    status = "KILLED" if ended.interrupted else "FINISHED" if ended.code == 0 else "FAILED"
    entry, notes = finish_run_recording(
        started, status, record=record, source=source, rerun_of=rerun_of
    )
    runs_file = shown_under(started.runs_file, config.root) if record else None
    return RunOutcome(started.run_id, ended.code, entry, runs_file, url, tuple(notes))


def _folder_in(root: Path, folder: Path) -> str:
    """`folder` relative to the repository root, POSIX style; "" for the root or outside."""
    try:
        relative = folder.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return ""
    return "" if relative == "." else relative


# --- the Python API: `with researchflow.run("H-007"):` ---------------------------------


@frozen
class ActiveRun:
    """What `researchflow.run()` yields: the run that `mlflow.log_*` calls now land in."""

    run_id: str
    experiment_id: str
    hypothesis: str
    tracking_uri: str
    url: str | None


def default_command() -> tuple[str, ...]:
    """`python train.py …` for a script; nothing for a notebook (it cannot be rerun as is)."""
    if sys.argv and sys.argv[0].endswith(".py"):
        return ("python", *sys.argv)
    return ()


@contextmanager
def linked_run(
    hypothesis_id: str | None = None,
    *,
    allow_dirty: bool = False,
    command: Sequence[str] | None = None,
    root: Path | str | None = None,
    record: bool = True,
) -> Iterator[ActiveRun]:
    """An MLflow run linked to a hypothesis, for notebooks and scripts.

    Inside the block the run is MLflow's active run, so `mlflow.log_metric(...)` lands in
    it. It carries the same tags as `rflow run` and ends FINISHED, FAILED (an exception) or
    KILLED (KeyboardInterrupt), with an entry appended to the hypothesis's runs.yaml.
    `command` is what a rerun would execute (default: `python <script> <args>`).

    This is `researchflow.run`.

    Example:
        with researchflow.run("H-007") as active:
            mlflow.log_metric("recall_at_10", 0.45)
    """
    from researchflow.adapters.mlflow import ui_url
    from researchflow.adapters.mlflow_library import fluent_run, require_no_active_run
    from researchflow.adapters.process import temporary_environment
    from researchflow.documents.config import load_config

    config = load_config(Path(root) if root else None)
    require_no_active_run()
    argv = tuple(command) if command is not None else default_command()
    started = start_linked_run(config, hypothesis_id, argv, allow_dirty=allow_dirty)
    status = "FAILED"
    # subprocesses of the block log to the same run
    child = temporary_environment(**started.child_environment())
    try:
        with child, fluent_run(started.tracking_uri, started.experiment_id, started.run_id):
            yield ActiveRun(
                started.run_id,
                started.experiment_id,
                started.hypothesis,
                started.tracking_uri,
                ui_url(started.tracking_uri, started.experiment_id, started.run_id),
            )
        status = "FINISHED"
    except KeyboardInterrupt:
        status = "KILLED"
        raise
    finally:
        finish_run_recording(started, status, record=record)
