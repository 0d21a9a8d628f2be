"""What a run learns from the repository around the command: the inputs before it, and
after it the DVC metrics, the params it used, the outputs it produced and what it changed.

`before()` is taken just before the command starts and `after()` right after it ends; both
are pure reads (git, files), so a run without DVC pays a `git status` and a few stats.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping, Sequence
from pathlib import Path

from researchflow.adapters import git as gitrepo
from researchflow.adapters.dvc_pipeline import (
    LOCK_FILE,
    Pipeline,
    file_stamps,
    read_metrics,
    read_params_files,
    read_pipeline,
)
from researchflow.base.errors import UserError
from researchflow.base.frozen import field, frozen

EXPERIMENT_REFS = "refs/exps"


@frozen
class Snapshot:
    """The repository just before the command."""

    pipeline: Pipeline
    changed: frozenset[str]  # what `git status` already listed
    params: dict[str, str]
    locks: dict[str, str]  # dvc.lock path → text
    experiments: frozenset[str]  # refs under refs/exps
    metrics_stamps: dict[str, tuple[int, int]] = field(default_factory=dict)


@frozen
class Aftermath:
    """What the command did, as far as the repository shows."""

    metrics: dict[str, float]  # from the declared metrics files
    params: dict[str, str]  # the params the command ran with (after `dvc exp run -S`)
    outputs: dict[str, str]  # path → md5, when the command changed dvc.lock
    changed: tuple[str, ...]  # tracked files or params the command changed: dirt
    lock_changed: bool
    experiment: str | None  # the DVC experiment `dvc exp run` made
    plots: tuple[Path, ...] = field(default_factory=tuple)
    ignores: tuple[str, ...] = ()  # .gitignore files DVC changed to ignore its outputs
    locks: tuple[str, ...] = ()  # the dvc.lock files the command wrote
    data: dict[str, str] = field(default_factory=dict)  # data versions after it (tracking)


def run_data(root: Path, plan_data: Sequence[str], *, dvc_enabled: bool = True) -> dict[str, str]:
    """The run's true inputs: path → md5 for DVC data (`.dvc` files and stage dependencies
    no stage produces), git blob id for a git-tracked file the plan names.

    A path the plan names that is neither DVC- nor git-tracked is refused."""
    from researchflow.adapters.dvc import data_versions

    wanted = [posixpath.normpath(p.strip("/")) for p in plan_data]
    pipeline = read_pipeline(root) if dvc_enabled else Pipeline()
    tracked = set(gitrepo.list_files(root, "HEAD")) if wanted or pipeline.exists else set()
    data: dict[str, str] = {}
    if dvc_enabled:
        versions = data_versions(root)
        # a `.dvc` file names the data as it is now; dvc.lock's deps name what a stage
        # consumed when it last ran (older, right after `dvc add` of new data)
        for path, md5 in pipeline.inputs(tracked).items():
            versions.setdefault(path, md5)
        data = {p: md5 for p, md5 in versions.items() if not pipeline.produced(p)}
    if not wanted:
        return dict(sorted(data.items()))
    chosen = {p: md5 for p, md5 in data.items() if _covers(wanted, p)}
    for path in wanted:
        if any(_covers([path], p) for p in chosen):
            continue
        if pipeline.produced(path):
            continue  # a pipeline output is never an input: it is recorded as an output
        if path in tracked:
            chosen[path] = gitrepo.git(root, "rev-parse", f"HEAD:{path}").strip()
            continue
        under = [name for name in tracked if name.startswith(path + "/")]
        if under:
            chosen[path] = gitrepo.git(root, "rev-parse", f"HEAD:{path}").strip()
            continue
        raise UserError(
            f"plan.qmd: data: {path} is tracked neither by DVC nor by git "
            f"(`dvc add {path}` or `git add {path}`, then commit)"
        )
    return dict(sorted(chosen.items()))


def _covers(wanted: Sequence[str], tracked: str) -> bool:
    return any(
        tracked == path or tracked.startswith(path + "/") or path.startswith(tracked + "/")
        for path in wanted
    )


def before(root: Path, dvc_enabled: bool = True) -> Snapshot:
    pipeline = read_pipeline(root) if dvc_enabled else Pipeline()
    return Snapshot(
        pipeline=pipeline,
        changed=frozenset(gitrepo.changed_paths(root)),
        params=read_params_files(root, pipeline.params_files),
        locks=_locks(root, pipeline),
        experiments=frozenset(_experiment_refs(root)) if pipeline.exists else frozenset(),
        metrics_stamps=file_stamps(root, pipeline.metrics_files),
    )


def after(
    root: Path, snapshot: Snapshot, bookkeeping: Sequence[str] = (), *, pipeline_command: bool
) -> Aftermath:
    """`bookkeeping`: paths (or folders, ending in /) that are never dirt.

    Metrics files count when the command wrote them, or when the command is the pipeline
    itself (`dvc repro` that found everything up to date vouches for the files on disk);
    a stale file left by an earlier run is never credited to an unrelated command."""
    from researchflow.adapters.dvc_pipeline import plot_files

    pipeline = (
        read_pipeline(root)
        if snapshot.pipeline.exists or (root / "dvc.yaml").is_file()
        else snapshot.pipeline
    )
    locks = _locks(root, pipeline)
    lock_changed = locks != snapshot.locks
    params = read_params_files(root, pipeline.params_files)
    new = [path for path in gitrepo.changed_paths(root) if path not in snapshot.changed]
    ignores = tuple(sorted(p for p in new if _output_gitignore(p, pipeline)))
    changed = [
        path
        for path in new
        if path not in ignores
        and posixpath.basename(path) != LOCK_FILE
        and not pipeline.produced(path)
        and not any(path == b or (b.endswith("/") and path.startswith(b)) for b in bookkeeping)
    ]
    experiments = set(_experiment_refs(root)) - snapshot.experiments if pipeline.exists else set()
    return Aftermath(
        metrics=_metrics(root, pipeline, snapshot, pipeline_command),
        params=params,
        outputs=dict(pipeline.outputs) if lock_changed else {},
        changed=tuple(sorted(changed)),
        lock_changed=lock_changed,
        experiment=sorted(experiments)[-1].rsplit("/", 1)[-1] if experiments else None,
        plots=tuple(plot_files(root, pipeline)) if pipeline.plots else (),
        ignores=ignores,
        locks=tuple(p for p in sorted(locks) if locks[p] != snapshot.locks.get(p)),
    )


def _metrics(
    root: Path, pipeline: Pipeline, snapshot: Snapshot, pipeline_command: bool
) -> dict[str, float]:
    if not pipeline.metrics_files:
        return {}
    if pipeline_command:
        return read_metrics(root, pipeline)
    now = file_stamps(root, pipeline.metrics_files)
    written = {name for name, stamp in now.items() if snapshot.metrics_stamps.get(name) != stamp}
    return read_metrics(root, pipeline, only=written) if written else {}


def _output_gitignore(path: str, pipeline: Pipeline) -> bool:
    """DVC adds each output to the .gitignore beside it."""
    if posixpath.basename(path) != ".gitignore":
        return False
    folder = posixpath.dirname(path)
    return any(posixpath.dirname(out) == folder for out in pipeline.output_paths)


def _locks(root: Path, pipeline: Pipeline) -> dict[str, str]:
    if not pipeline.exists:
        return {}
    found: dict[str, str] = {}
    for lock in sorted(root.rglob(LOCK_FILE)):
        if ".dvc" in lock.relative_to(root).parts or ".git" in lock.relative_to(root).parts:
            continue
        try:
            found[lock.relative_to(root).as_posix()] = lock.read_text(encoding="utf-8")
        except OSError:
            continue
    return found


def _experiment_refs(root: Path) -> list[str]:
    out = gitrepo.git(root, "for-each-ref", "--format=%(refname)", EXPERIMENT_REFS, check=False)
    # refs/exps/<baseline[:2]>/<baseline[2:]>/<name>; refs/exps/exec/* are DVC's own
    return [ref for ref in out.split() if ref.count("/") >= 4 and "/exec/" not in ref]


def merge_metrics(
    logged: Mapping[str, float], from_files: Mapping[str, float]
) -> tuple[dict[str, float], list[str]]:
    """(the file metrics to log, the keys the command logged itself and so win)."""
    to_log = {k: v for k, v in from_files.items() if k not in logged}
    kept = sorted(k for k in from_files if k in logged and logged[k] != from_files[k])
    return to_log, kept


def file_md5(data: bytes) -> str:
    """DVC 3's md5 of a file's content (`hash: md5` in dvc.lock)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
