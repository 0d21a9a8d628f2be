"""A rerun in a clean temporary `git worktree` at a revision, with the DVC data that
revision's DVC files name checked out from the shared cache or pulled from the remote."""

from __future__ import annotations

import configparser
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from researchflow.adapters.git import git
from researchflow.adapters.process import CommandFailed, run, temporary_environment
from researchflow.base.errors import ServiceUnavailable, UserError
from researchflow.base.frozen import frozen
from researchflow.checks.context import HypothesisContext


@frozen
class RerunResult:
    run_id: str
    exit_code: int
    metrics: dict[str, float]  # the plan's predicted metrics the rerun logged
    command: tuple[str, ...] = ()  # what was executed (a pipeline command is forced)
    status: str = "FINISHED"  # how the store says the rerun ended
    wrote_to_gate: tuple[str, ...] = ()  # files of the gate's own code the command changed

    @property
    def failed(self) -> bool:
        return self.exit_code != 0 or self.status != "FINISHED" or bool(self.wrote_to_gate)


def rerun_at(ctx: HypothesisContext, rev: str, argv: Sequence[str], rerun_of: str) -> RerunResult:
    with _checked_out(ctx, rev, argv) as (worktree, command):
        return _execute(ctx, worktree, command, rerun_of)


def rerun_group_at(
    ctx: HypothesisContext, rev: str, argv: Sequence[str], rerun_of: str, seeds: Sequence[int]
) -> list[RerunResult]:
    """A group of repeats rerun in one worktree: each seed with RFLOW_SEED/RFLOW_REPEAT set,
    as `rflow run --repeat` gave it."""
    from researchflow.runs.repeats import seed_environment

    results = []
    with _checked_out(ctx, rev, argv) as (worktree, command):
        for seed in seeds:
            with temporary_environment(**seed_environment(seed)):
                results.append(_execute(ctx, worktree, command, rerun_of))
    return results


@contextlib.contextmanager
def _checked_out(
    ctx: HypothesisContext, rev: str, argv: Sequence[str]
) -> Iterator[tuple[Path, Sequence[str]]]:
    """A temporary worktree at `rev` with its data, and the command to run there."""
    root = ctx.config.root
    with tempfile.TemporaryDirectory(prefix="rflow-rerun-") as temporary:
        worktree = Path(temporary) / "worktree"
        git(root, "worktree", "add", "--detach", "--quiet", str(worktree), rev)
        try:
            from researchflow.adapters.dvc_pipeline import forced, is_pipeline_command

            pipeline = is_pipeline_command(argv)
            if (root / ".dvc").is_dir():
                checkout_data(root, worktree, sources_only=pipeline)
            # DVC would restore cached outputs and skip every stage: a rerun must compute
            yield worktree, forced(argv) if pipeline else argv
        finally:
            git(root, "worktree", "remove", "--force", str(worktree), check=False)
            git(root, "worktree", "prune", check=False)


def checkout_data(root: Path, worktree: Path, *, sources_only: bool = False) -> None:
    """Point the worktree at the main repository's DVC cache and remotes, then check out;
    pull what the cache lacks.

    `sources_only` (a pipeline command): only the `.dvc`-tracked inputs, which the pipeline
    cannot rebuild; DVC rebuilds its own outputs. Data that is neither in the cache nor on
    the remote is named, with the `dvc push` that fixes it, before DVC is asked at all.
    """
    from researchflow.adapters.dvc import data_versions, is_available
    from researchflow.adapters.dvc_pipeline import read_pipeline

    write_local_config(root, worktree)
    targets: list[str] = []
    if sources_only:
        pipeline = read_pipeline(worktree)
        versions = {
            p: md5 for p, md5 in data_versions(worktree).items() if not pipeline.produced(p)
        }
        targets = [f"{path}.dvc" for path in versions if (worktree / f"{path}.dvc").is_file()]
        if not targets:
            return
    else:
        versions = data_versions(worktree)
    missing = [p for p, md5 in versions.items() if not is_available(worktree, p, md5)]
    if missing:
        more = f" (and {', '.join(missing[1:])})" if len(missing) > 1 else ""
        raise UserError(
            f"the rerun needs {missing[0]}{more}, which is neither in the DVC cache nor on "
            f"the remote: run `dvc push {' '.join(missing)}` on the machine that has it"
        )
    dvc = [sys.executable, "-m", "dvc"]
    if run([*dvc, "checkout", *targets], cwd=worktree, check=False).returncode == 0:
        return
    try:
        run([*dvc, "pull", *targets], cwd=worktree)
    except CommandFailed as error:
        raise _fetch_error(error, targets) from None


def _fetch_error(error: CommandFailed, targets: list[str]) -> Exception:
    """DVC's own words (its ERROR lines), and the service blamed only when it is one."""
    text = "\n".join((error.stderr, error.stdout))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
    cause = " ".join(errors) or f"exited {error.returncode} without a message"
    what = ", ".join(t.removesuffix(".dvc") for t in targets) or "the data"
    message = f"the rerun could not fetch {what}: {cause}"
    lowered = cause.lower()
    if any(word in lowered for word in ("connection", "timed out", "unreachable", "network")):
        return ServiceUnavailable(message)
    return UserError(message)


def _read_config(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # keep the keys' case
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise UserError(
            f"{path}: unreadable DVC config ({error}); fix it with `dvc config`"
        ) from None
    return parser


def _relative_local(value: str) -> bool:
    return bool(value) and "://" not in value and not Path(value).is_absolute()


def write_local_config(root: Path, worktree: Path) -> None:
    """The worktree's `.dvc/config.local`: the main repository's own (remote credentials
    live there, never in git), its cache, and every relative local path made absolute —
    relative to `.dvc/`, they would point elsewhere from the worktree.

    Written directly rather than through `dvc config`: each `dvc` call costs a second.
    """
    source = root / ".dvc"
    tracked, local = _read_config(source / "config"), _read_config(source / "config.local")
    for parser in (tracked, local):
        for section in parser.sections():
            for key in ("url", "dir"):
                value = parser.get(section, key, fallback="")
                if _relative_local(value):
                    if not local.has_section(section):
                        local.add_section(section)
                    local.set(section, key, str((source / value).resolve()))
    if not local.has_section("cache"):
        local.add_section("cache")
    if not local.get("cache", "dir", fallback=""):
        local.set("cache", "dir", str((source / "cache").resolve()))
    with open(worktree / ".dvc" / "config.local", "w", encoding="utf-8") as stream:
        local.write(stream)


def _execute(
    ctx: HypothesisContext, worktree: Path, argv: Sequence[str], rerun_of: str
) -> RerunResult:
    """The registered command in its own process with an allow-listed environment (no
    token reaches it), in the project's virtualenv when it has one; the gate's own code is
    fingerprinted around it, and the result is read from the store after it exits."""
    from researchflow.adapters.process import (
        changed_files,
        fingerprint,
        project_interpreter,
        rerun_environment,
    )

    # the experiment's own mlflow calls print "View run … at: URL" lines that have no place
    # in check's output
    env = {**ctx.env, **_seed(), "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}
    environment = rerun_environment(env, project_interpreter(ctx.config.root, ctx.env))
    guarded = gate_code()
    before = fingerprint(guarded)
    outcome = _execute_run(ctx, worktree, argv, rerun_of, environment)
    wrote = tuple(changed_files(before, fingerprint(guarded)))
    return RerunResult(
        outcome.run_id,
        outcome.exit_code,
        dict(outcome.entry.metrics),
        tuple(argv),
        str(getattr(outcome.entry, "status", "FINISHED")),
        wrote,
    )


def gate_code() -> list[Path]:
    """The folders of the gate's own code: the researchflow package."""
    import researchflow

    return [Path(researchflow.__file__).resolve().parent]


def _seed() -> dict[str, str]:
    """RFLOW_SEED/RFLOW_REPEAT as `rerun_group_at` set them for this seed."""
    return {k: os.environ[k] for k in ("RFLOW_SEED", "RFLOW_REPEAT") if k in os.environ}


def _execute_run(
    ctx: HypothesisContext,
    worktree: Path,
    argv: Sequence[str],
    rerun_of: str,
    environment: dict[str, str],
) -> Any:
    from researchflow.base.names import RERUN_OF
    from researchflow.runs.tracking import execute_run

    # the working folder the run was started in (runs.yaml `cwd`), inside the worktree
    ran = [e for e in ctx.runs if rerun_of in (e.run_id, e.group)]
    return execute_run(
        ctx.config,
        ctx.id,
        list(argv),
        cwd=worktree,
        folder=ran[0].cwd if ran else "",
        extra_tags={RERUN_OF: rerun_of},
        source="rerun",
        rerun_of=rerun_of,
        record=False,
        stdout=2,  # the experiment's own output goes to stderr: `--json` stays parseable
        environment=environment,
    )
