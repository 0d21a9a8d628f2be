"""A linked run's start and finish: who makes it (the executor rule), every check before
the store is touched, the run created with its tags, what the command left behind logged
to it, and its runs.yaml entry (remembered under .rflow/pending/ until written).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from researchflow.adapters import git as gitrepo
from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen, replace
from researchflow.base.names import (
    BRANCH,
    COMMIT,
    CWD,
    DIRTY,
    DVC_EXP,
    NOTE,
    PARENT_RUN,
    PATCH,
    PLAN_FILE,
    RERUN_REGISTRY,
    RUNS_FILE,
)
from researchflow.documents.config import Config, tracking_uri
from researchflow.documents.project import shown_under
from researchflow.documents.runinputs import predicted_metrics, unrecorded_dirt
from researchflow.documents.runlog import RunEntry, append_run, utc_timestamp
from researchflow.process.hypotheses import resolve_hypothesis
from researchflow.runs.tags import (
    MAX_VALUE,
    command_from_tags,
    data_from_tags,
    data_tag,
    is_dirty,
    login_name,
    output_tag,
    run_tags,
)

if TYPE_CHECKING:
    from researchflow.adapters.mlflow_store import Store, StoreRun


def acting_run_user(
    config: Config, folder: Path, command: Sequence[str], dirty: bool, *, rerun: bool = False
) -> str:
    """Who makes this run, by the plan's name for them; UserError (nothing created yet)
    when the run would be confirmatory and they are not the executor (executor_rule)."""
    from researchflow.documents.project import shown_path
    from researchflow.process.executor_rule import recorded_name, run_refusal, will_be_confirmatory
    from researchflow.process.hypotheses import current_actor, plan_path, read_plan_file
    from researchflow.process.steproles import Actor

    try:
        user = current_actor(config)
    except UserError:  # no RFLOW_USER and no git user.name: the login names the run
        user = Actor(login_name(), frozenset({login_name()}))
    plan = read_plan_file(plan_path(folder), config).plan
    if plan is None:
        return user.name  # an unreadable plan: the run itself is exploratory
    if not rerun and will_be_confirmatory(plan, command, dirty):
        refusal = run_refusal(plan, user)
        if refusal is not None:
            raise UserError(refusal.line(shown_path(plan_path(folder))))
    return recorded_name(user, plan.roles)


# --- starting and finishing a linked run -------------------------------------------------


@frozen
class StartedRun:
    """A run created in the store, before the work: everything needed to finish it."""

    hypothesis: str
    run_id: str
    experiment_id: str
    tracking_uri: str
    commit: str
    branch: str | None
    dirty: bool
    command: tuple[str, ...]
    data: dict[str, str]
    started: str
    metric_keys: tuple[str, ...]
    runs_file: Path
    store: Store
    state: Path | None = None  # .rflow/: where a run not yet recorded is remembered
    notes: tuple[str, ...] = ()  # earlier lost runs this start settled, one line each
    work: Path | None = None  # the repository the command runs in
    research_dir: str = "research"
    snapshot: Any = None  # pipeline_run.Snapshot: the tree just before the command
    rerun: bool = False
    store_name: str = ""  # the store as runs.yaml records it (storeplace.recorded_store)
    note: str | None = None  # `rflow run --note`: MLflow's description of the run
    plan_data: tuple[str, ...] = ()  # the plan's `data`: read again after the command
    folder: str = ""  # the working folder relative to the repository root ("" = the root)
    dvc_enabled: bool = True
    user: str | None = None  # who made the run, by the plan's name for them (mlflow.user)

    @property
    def recorded_uri(self) -> str:
        return self.store_name or self.tracking_uri

    def child_environment(self) -> dict[str, str]:
        env = {
            "MLFLOW_RUN_ID": self.run_id,
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "MLFLOW_EXPERIMENT_ID": self.experiment_id,
        }
        if self.rerun:
            env["RFLOW_RERUN"] = "1"  # scripts may skip side effects (registering a model)
            if self.state is not None:
                # `log_model(registered_model_name=…)` in a rerun registers into a registry
                # of rflow's own, never as a new version in the team's
                env["MLFLOW_REGISTRY_URI"] = f"sqlite:///{self.state / RERUN_REGISTRY}"
        return env


def start_linked_run(
    config: Config,
    hypothesis_id: str | None,
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    allow_dirty: bool = False,
    extra_tags: Mapping[str, str] | None = None,
    rerun: bool = False,
    workdir: str = "",
) -> StartedRun:
    """Check everything, then create the run: nothing is written when a check fails."""
    from researchflow.adapters.mlflow import open_store
    from researchflow.adapters.mlflow_store import now_ms
    from researchflow.documents.runlog import check_recordable
    from researchflow.runs.pendingruns import settle
    from researchflow.runs.pipeline_run import before, run_data
    from researchflow.runs.storeplace import recorded_store

    work = Path(cwd) if cwd else config.root
    gitrepo.require_repository(work)
    hypothesis, folder = resolve_hypothesis(config, hypothesis_id, root=work)
    check_recordable(folder / RUNS_FILE)  # nothing runs that rflow could not record
    metric_keys, plan_data = predicted_metrics(folder / PLAN_FILE)
    commit = gitrepo.head_commit(work)
    branch = gitrepo.current_branch(work)
    dirt = unrecorded_dirt(gitrepo.changed_paths(work), config.research_dir)
    if dirt and not allow_dirty:
        more = f" and {len(dirt) - 1} more" if len(dirt) > 1 else ""
        raise UserError(
            f"{dirt[0]}{more}: uncommitted changes; commit them so the run is reproducible, "
            "or pass --allow-dirty to mark it unreproducible"
        )
    user = acting_run_user(config, folder, command, bool(dirt), rerun=rerun)
    data = run_data(work, plan_data, dvc_enabled=config.dvc.enabled)
    snapshot = before(work, config.dvc.enabled)
    uri = tracking_uri(config)
    store = open_store(uri)
    store.check()  # before anything is created: a down server writes nothing
    notes = tuple(settle(config.state_path, store, append_run, now_ms))
    experiment = store.experiment_id(config.mlflow.experiment or config.root.name)
    start = now_ms()
    extra = {**(extra_tags or {}), **({PATCH: PATCH_ARTIFACT} if dirt else {})}
    tags = run_tags(hypothesis, commit, branch, bool(dirt), command, data, extra, user)
    if workdir:
        tags[CWD] = workdir
    run_id = store.create_run(experiment, tags, start)
    if dirt:
        _keep_dirty_patch(store, run_id, work, config.state_path)
    return StartedRun(
        hypothesis=hypothesis,
        run_id=run_id,
        experiment_id=experiment,
        tracking_uri=uri,
        commit=commit,
        branch=branch,
        dirty=bool(dirt),
        command=tuple(command),
        data=data,
        started=utc_timestamp(start),
        metric_keys=metric_keys,
        runs_file=folder / RUNS_FILE,
        store=store,
        state=config.state_path,
        notes=notes,
        work=work,
        research_dir=config.research_dir,
        snapshot=snapshot,
        rerun=rerun,
        store_name=recorded_store(config.root, uri),
        note=extra.get(NOTE),
        plan_data=tuple(plan_data),
        dvc_enabled=config.dvc.enabled,
        folder=workdir,
        user=user,
    )


PATCH_ARTIFACT = "rflow/dirty.patch"  # where an --allow-dirty run keeps `git diff HEAD`


def _keep_dirty_patch(store: Store, run_id: str, work: Path, state: Path) -> None:
    """Log the uncommitted diff (and the untracked files' names) as the run's artifact:
    such a run stays unreproducible, but one can see what it ran."""
    untracked = gitrepo.git(work, "ls-files", "-z", "--others", "--exclude-standard").split("\0")
    patch = gitrepo.dirty_patch(work, [path for path in untracked if path])
    folder = Path(tempfile.mkdtemp(prefix="patch-", dir=_ensure(state)))
    try:
        target = folder / Path(PATCH_ARTIFACT).name
        target.write_bytes(patch)
        store.log_artifacts(run_id, [(target, Path(PATCH_ARTIFACT).parent.as_posix())])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def finish_run_recording(
    started: StartedRun,
    status: str,
    *,
    record: bool = True,
    source: str = "run",
    rerun_of: str | None = None,
) -> tuple[RunEntry, list[str]]:
    """End the run with `status`, read the predicted metrics and append the runs.yaml entry;
    also what rflow did around the command (notes)."""
    from researchflow.adapters.mlflow_store import now_ms

    if record:  # should the store be lost now, the next rflow ends the run (pendingruns)
        remember_pending(started, status if status != "FINISHED" else "FAILED")
    aftermath, notes = _record_aftermath(started)
    end = now_ms()
    started.store.finish_run(started.run_id, status, end)
    stored = started.store.get_run(started.run_id)
    metrics = stored.metrics if stored else {}
    entry = _entry(
        started,
        status,
        utc_timestamp(end),
        {key: metrics[key] for key in started.metric_keys if key in metrics},
        source,
        rerun_of,
        aftermath,
    )
    if record:
        remember_pending(started, status, entry)
        try:
            append_run(started.runs_file, started.hypothesis, entry)
        except (OSError, UserError) as error:
            raise _not_recorded(started, error) from None
        forget_pending(started)
        if aftermath and aftermath.lock_changed:
            hint = _dirty_hint if entry.dirty else _commit_hint
            notes.append(hint(started, aftermath))
    return entry, notes


def _record_aftermath(started: StartedRun) -> tuple[Any, list[str]]:
    """Log what the command left in the repository: DVC metrics and plots, the params it
    ran with, its outputs, the DVC experiment, and dirt it made."""
    from researchflow.runs.pipeline_run import after, merge_metrics

    if started.snapshot is None or started.work is None:
        return None, []
    notes: list[str] = []
    from researchflow.adapters.dvc_pipeline import is_pipeline_command

    aftermath = after(
        started.work,
        started.snapshot,
        bookkeeping=(".rflow/",),
        pipeline_command=is_pipeline_command(started.command),
    )
    changed = unrecorded_dirt(list(aftermath.changed), started.research_dir)
    aftermath = replace(aftermath, changed=tuple(changed))
    stored = started.store.get_run(started.run_id)
    logged_metrics = stored.metrics if stored else {}
    logged_params = stored.params if stored else {}
    to_log, kept = merge_metrics(logged_metrics, aftermath.metrics)
    if to_log:
        started.store.log_metrics(started.run_id, to_log)
    for key in kept:
        notes.append(
            f"{key}: kept the value the command logged ({logged_metrics[key]:.6g}), "
            f"not the DVC metrics file's ({aftermath.metrics[key]:.6g})"
        )
    params = {k: v[:MAX_VALUE] for k, v in aftermath.params.items() if k not in logged_params}
    tags = {output_tag(path): md5 for path, md5 in aftermath.outputs.items()}
    data = _data_after(started, aftermath)
    if data != started.data:
        tags.update({data_tag(path): md5 for path, md5 in data.items()})
        aftermath = replace(aftermath, data=data)
    if aftermath.experiment:
        tags[DVC_EXP] = aftermath.experiment
        notes.append(
            f"DVC experiment {aftermath.experiment} (`dvc exp apply {aftermath.experiment}`)"
        )
    if changed and not started.dirty:
        tags[DIRTY] = "true"
        more = f" and {len(changed) - 1} more" if len(changed) > 1 else ""
        notes.append(
            f"the command changed {changed[0]}{more}: the run is marked dirty "
            "(commit the change and run again for evidence)"
        )
    if params or tags:
        started.store.log(started.run_id, params, tags)
    if aftermath.plots:
        notes.extend(_log_plots(started, aftermath.plots))
    children = started.store.children(started.experiment_id, started.run_id)
    if children:
        notes.append(
            f"{len(children)} nested run(s) the command opened are children of this run "
            f"({PARENT_RUN}): {', '.join(children)}"
        )
    return aftermath, notes


def _data_after(started: StartedRun, aftermath: Any) -> dict[str, str]:
    """The data versions as the command left them: when it wrote dvc.lock (`dvc repro`,
    `dvc exp run`), what dvc.lock says now is what the pipeline consumed; otherwise the
    versions read before it started."""
    from researchflow.runs.pipeline_run import run_data

    if not aftermath.lock_changed or started.work is None:
        return dict(started.data)
    try:
        after = run_data(started.work, started.plan_data, dvc_enabled=started.dvc_enabled)
    except UserError:
        return dict(started.data)  # the command removed a plan path: keep what it started on
    return {path: after.get(path, md5) for path, md5 in started.data.items()} | {
        path: md5 for path, md5 in after.items() if path not in started.data
    }


def _log_plots(started: StartedRun, plots: Sequence[Path]) -> list[str]:
    from researchflow.base.errors import RflowError

    assert started.work is not None
    files = [(p, p.parent.relative_to(started.work).as_posix()) for p in plots]
    try:
        started.store.log_artifacts(started.run_id, files)
    except (RflowError, OSError) as error:
        return [f"the plots could not be logged as artifacts: {error}"]
    return []


def _commit_hint(started: StartedRun, aftermath: Any) -> str:
    work = started.work or Path.cwd()
    runs = shown_under(started.runs_file, work)
    files = " ".join([*aftermath.locks, *aftermath.ignores, runs])
    return (
        f"the run produced {len(aftermath.outputs)} DVC output(s); next: "
        f'`git add {files} && git commit -m "{started.hypothesis}: run"` and `dvc push`'
    )


def _dirty_hint(started: StartedRun, aftermath: Any) -> str:
    """A dirty run's dvc.lock matches no commit (`dvc exp run -S` left params.yaml
    modified): commit the change with the lock, then a clean run on that commit."""
    work = started.work or Path.cwd()
    runs = shown_under(started.runs_file, work)
    files = " ".join(
        dict.fromkeys([*aftermath.changed, *aftermath.locks, *aftermath.ignores, runs])
    )
    return (
        "this run is not evidence (dirty), and its dvc.lock matches no commit yet: "
        f'`git add {files} && git commit -m "{started.hypothesis}: the experiment"`, then '
        f"`rflow run {started.hypothesis}` for a clean run on that commit"
    )


def remember_pending(started: StartedRun, status: str, entry: RunEntry | None = None) -> None:
    """Note the run under .rflow/pending/ until runs.yaml holds it (see pendingruns)."""
    from researchflow.runs.pendingruns import Pending, remember

    if started.state is None:
        return
    shown = entry or _entry(started, status, "", {}, "run", None)
    body = {**shown.to_dict(), "status": status}
    note = Pending(started.hypothesis, str(started.runs_file), os.getpid(), body)
    with contextlib.suppress(OSError):  # the run goes on; only a later recovery loses help
        remember(started.state, note)


def forget_pending(started: StartedRun) -> None:
    from researchflow.runs.pendingruns import forget

    if started.state is not None:
        forget(started.state, started.run_id)


def _not_recorded(started: StartedRun, error: Exception) -> UserError:
    from researchflow.runs.pendingruns import pending_path

    kept = ""
    if started.state is not None and pending_path(started.state, started.run_id).exists():
        kept = f"; the entry is kept in {pending_path(started.state, started.run_id)}"
    reason = getattr(error, "strerror", None) or str(error)
    return UserError(
        f"{started.runs_file}: run {started.run_id} ended in the store but could not be "
        f"recorded ({reason}){kept} (fix the file; the next `rflow run` records it, or "
        f"`rflow link {started.hypothesis} {started.run_id}`)"
    )


def _entry(
    started: StartedRun,
    status: str,
    ended: str,
    metrics: Mapping[str, float],
    source: str,
    rerun_of: str | None,
    aftermath: Any = None,
) -> RunEntry:
    """The runs.yaml entry of a started run; `aftermath` is what the command left behind."""
    return RunEntry(
        run_id=started.run_id,
        experiment_id=started.experiment_id,
        tracking_uri=started.recorded_uri,
        commit=started.commit,
        branch=started.branch,
        dirty=started.dirty or bool(aftermath and aftermath.changed),
        command=started.command,
        data=aftermath.data if aftermath and aftermath.data else started.data,
        cwd=started.folder,
        started=started.started,
        ended=ended,
        status=status,
        metrics=dict(metrics),
        source=source,
        rerun_of=rerun_of,
        outputs=dict(aftermath.outputs) if aftermath else {},
        dvc_exp=aftermath.experiment if aftermath else None,
        patch=PATCH_ARTIFACT if started.dirty else None,
        note=started.note,
        user=started.user,
    )


def entry_from_store(
    root: Path, uri: str, run: StoreRun, metric_keys: Sequence[str], plan_data: Sequence[str]
) -> RunEntry:
    """The runs.yaml entry for a run made elsewhere (`rflow link`), read from its tags."""
    from researchflow.adapters.dvc import data_versions

    tags = run.tags
    commit = tags[COMMIT]
    data = data_from_tags(tags)
    if not data:  # a plain MLflow run: the data is what the DVC files said at its commit
        data = data_versions(root, tuple(plan_data) or None, rev=commit)
    from researchflow.runs.storeplace import recorded_store

    return RunEntry(
        run_id=run.run_id,
        experiment_id=run.experiment_id,
        tracking_uri=recorded_store(root, uri),
        commit=commit,
        branch=tags.get(BRANCH),
        dirty=is_dirty(tags),
        command=command_from_tags(tags),
        data=data,
        started=utc_timestamp(run.start_time_ms) if run.start_time_ms else "",
        ended=utc_timestamp(run.end_time_ms) if run.end_time_ms else "",
        status=run.status,
        metrics={key: run.metrics[key] for key in metric_keys if key in run.metrics},
        source="link",
        patch=tags.get(PATCH),
        note=tags.get(NOTE),
    )
