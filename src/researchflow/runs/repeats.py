"""`rflow run --repeat N`: one confirmatory experiment as N seeded runs under a parent run.

Repeat i runs with RFLOW_SEED=i and RFLOW_REPEAT=i in its environment, as its own linked
MLflow run tagged `rflow.repeat` and `mlflow.parentRunId` (MLflow's UI nests it under the
parent). With a registered `baseline_command`, the baseline runs under the same seeds
(`rflow.arm=baseline`), which makes the comparison paired. Every repeat is appended to
runs.yaml with `group` (the parent run), `repeat` and `arm`. A repeat that fails, or cannot
even start, fails alone: the others still run and are recorded.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from researchflow.base.errors import RflowError, UserError
from researchflow.base.frozen import frozen, replace
from researchflow.base.output import attributes
from researchflow.documents.config import Config
from researchflow.documents.runlog import append_run

BASELINE_ARM = "baseline"
NOT_STARTED = "NOT STARTED"


@frozen
class Job:
    """One seeded run of the experiment: which repeat, which arm, which command."""

    repeat: int
    arm: str | None  # None: the command under test; "baseline": baseline_command
    argv: tuple[str, ...]


@frozen
class RepeatRun:
    repeat: int
    arm: str | None
    run_id: str | None
    status: str  # FINISHED | FAILED | KILLED | NOT STARTED
    exit_code: int
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "repeat": self.repeat,
            "seed": self.repeat,
            **attributes(self, "arm", "run_id", "status", "exit_code", "error"),
        }


@frozen
class RepeatOutcome:
    hypothesis: str
    group: str
    runs: tuple[RepeatRun, ...]
    runs_file: str

    @property
    def exit_code(self) -> int:
        """0 when every repeat finished; else the first lost repeat's code (1 if it had none)."""
        lost = [run for run in self.runs if run.status != "FINISHED"]
        return (lost[0].exit_code or 1) if lost else 0

    def to_json(self) -> dict[str, Any]:
        return {
            **attributes(self, "hypothesis", "group", "runs_file", "exit_code"),
            "repeats": [run.to_json() for run in self.runs],
        }

    def to_text(self) -> str:
        lines = []
        for run in self.runs:
            arm = " baseline" if run.arm else ""
            what = run.error or f"run {run.run_id} {run.status} (exit {run.exit_code})"
            lines.append(f"rflow: repeat {run.repeat}{arm} (RFLOW_SEED={run.repeat}): {what}")
        treated = [run for run in self.runs if run.arm is None]
        finished = sum(1 for run in treated if run.status == "FINISHED")
        lines.append(
            f"rflow: group {self.group}: {finished} of {len(treated)} repeats finished, "
            f"recorded in {self.runs_file}"
        )
        return "\n".join(lines)


def seed_environment(repeat: int) -> dict[str, str]:
    """What repeat i's command finds in its environment: its seed and its index."""
    return {"RFLOW_SEED": str(repeat), "RFLOW_REPEAT": str(repeat)}


def plan_jobs(repeats: int, argv: Sequence[str], baseline_argv: Sequence[str] = ()) -> list[Job]:
    """Each repeat's command, then its baseline under the same seed (pure)."""
    jobs: list[Job] = []
    for repeat in range(repeats):
        jobs.append(Job(repeat, None, tuple(argv)))
        if baseline_argv:
            jobs.append(Job(repeat, BASELINE_ARM, tuple(baseline_argv)))
    return jobs


def execute_repeats(
    config: Config,
    hypothesis_id: str | None,
    argv: Sequence[str],
    *,
    repeats: int,
    jobs: int = 1,
    baseline_argv: Sequence[str] = (),
    cwd: Path | None = None,
    allow_dirty: bool = False,
    stdout: IO[Any] | int | None = None,
    announce: Callable[[str], object] | None = None,
) -> RepeatOutcome:
    """Run the experiment `repeats` times (`jobs` at once), grouped under one parent run."""
    from researchflow.adapters.process import require_executable
    from researchflow.base.names import PARENT_RUN
    from researchflow.runs.linked import start_linked_run

    if repeats < 1:
        raise UserError(f"--repeat: {repeats} is not allowed (use a whole number >= 1)")
    if jobs < 1:
        raise UserError(f"--jobs: {jobs} is not allowed (use a whole number >= 1)")
    if not argv:
        raise UserError("no command to run (usage: rflow run [ID] --repeat N -- CMD…)")
    child_cwd = Path(cwd) if cwd else Path.cwd()
    require_executable(argv[0], child_cwd)
    if baseline_argv:
        require_executable(baseline_argv[0], child_cwd)
    work = plan_jobs(repeats, argv, baseline_argv)
    # The first repeat is started before anything else exists: its checks (clean tree,
    # reachable store, the hypothesis) refuse the whole group with nothing written.
    first = start_linked_run(
        config,
        hypothesis_id,
        work[0].argv,
        cwd=cwd,
        allow_dirty=allow_dirty,
        extra_tags=_tags(work[0], None),
    )
    group = _start_parent(first, repeats)
    first.store.log(first.run_id, {}, {PARENT_RUN: group})
    if announce is not None:
        announce(
            f"rflow: {repeats} repeats of {first.hypothesis} under parent run {group}"
            + (" (each with its baseline under the same seed)" if baseline_argv else "")
        )

    def one(job: Job) -> RepeatRun:
        started = first if job is work[0] else None
        return _run_one(
            config, first.hypothesis, job, group, started, child_cwd, cwd, allow_dirty, stdout
        )

    if jobs == 1:
        results = [one(job) for job in work]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, work))
    all_finished = all(run.status == "FINISHED" for run in results)
    _finish_parent(first, group, "FINISHED" if all_finished else "FAILED")
    from researchflow.documents.project import shown_under

    return RepeatOutcome(
        first.hypothesis, group, tuple(results), shown_under(first.runs_file, config.root)
    )


def _tags(job: Job, group: str | None) -> dict[str, str]:
    from researchflow.base.names import ARM, PARENT_RUN, REPEAT

    tags = {REPEAT: str(job.repeat)}
    if job.arm:
        tags[ARM] = job.arm
    if group:
        tags[PARENT_RUN] = group
    return tags


def _run_one(
    config: Config,
    hypothesis: str,
    job: Job,
    group: str,
    started: Any,
    child_cwd: Path,
    cwd: Path | None,
    allow_dirty: bool,
    stdout: IO[Any] | int | None,
) -> RepeatRun:
    from researchflow.adapters.process import supervise
    from researchflow.runs.linked import finish_run_recording, start_linked_run

    try:
        if started is None:
            started = start_linked_run(
                config,
                hypothesis,
                job.argv,
                cwd=cwd,
                allow_dirty=allow_dirty,
                extra_tags=_tags(job, group),
            )
    except RflowError as error:  # lost before it began: the others go on
        return RepeatRun(job.repeat, job.arm, None, NOT_STARTED, error.exit_code, str(error))
    environment = {**started.child_environment(), **seed_environment(job.repeat)}
    error_text = None
    try:
        ended = supervise(job.argv, child_cwd, environment, stdout)
        code = ended.code
        status = "KILLED" if ended.interrupted else "FINISHED" if code == 0 else "FAILED"
    except OSError as error:
        code, status = 127, "FAILED"
        error_text = f"{job.argv[0]}: cannot be started: {error.strerror}"
    entry, _notes = finish_run_recording(started, status, record=False)
    entry = replace(entry, group=group, repeat=job.repeat, arm=job.arm)
    append_run(started.runs_file, started.hypothesis, entry)
    return RepeatRun(job.repeat, job.arm, started.run_id, status, code, error_text)


def _start_parent(first: Any, repeats: int) -> str:
    """The parent run that holds the group: not itself a linked run (no hypothesis tag, no
    runs.yaml entry); its ID is each repeat's `group`."""
    from researchflow.adapters.mlflow_store import now_ms
    from researchflow.base.names import BRANCH, COMMAND, COMMIT

    tags = {
        "mlflow.runName": f"{first.hypothesis} × {repeats} repeats",
        COMMIT: first.commit,
        COMMAND: shlex.join(first.command)[:5000],
    }
    if first.branch:
        tags[BRANCH] = first.branch
    run_id: str = first.store.create_run(first.experiment_id, tags, now_ms())
    return run_id


def _finish_parent(first: Any, group: str, status: str) -> None:
    from researchflow.adapters.mlflow_store import now_ms

    first.store.finish_run(group, status, now_ms())
