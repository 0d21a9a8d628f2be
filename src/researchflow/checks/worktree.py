"""A rerun in a clean temporary `git worktree` at a revision, with the DVC data that
revision's DVC files name checked out from the shared cache or pulled from the remote."""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from researchflow.adapters.git import git
from researchflow.adapters.process import CommandFailed, run
from researchflow.checks.context import HypothesisContext
from researchflow.config import tracking_uri
from researchflow.errors import ServiceUnavailable

RERUN_TAG = "rflow.rerun_of"


@dataclass(frozen=True)
class RerunResult:
    run_id: str | None
    exit_code: int
    metrics: dict[str, float]


def rerun_at(ctx: HypothesisContext, rev: str, argv: Sequence[str], rerun_of: str) -> RerunResult:
    root = ctx.config.root
    with tempfile.TemporaryDirectory(prefix="rflow-rerun-") as temporary:
        worktree = Path(temporary) / "worktree"
        git(root, "worktree", "add", "--detach", "--quiet", str(worktree), rev)
        try:
            if (root / ".dvc").is_dir():
                checkout_data(root, worktree)
            return _execute(ctx, worktree, argv, rerun_of)
        finally:
            git(root, "worktree", "remove", "--force", str(worktree), check=False)
            git(root, "worktree", "prune", check=False)


def checkout_data(root: Path, worktree: Path) -> None:
    """Point the worktree at the main repository's DVC cache and remotes, then check out;
    pull what the cache lacks."""
    dvc = [sys.executable, "-m", "dvc"]
    cache = run([*dvc, "cache", "dir"], cwd=root).stdout.strip()
    local = root / ".dvc" / "config.local"
    if local.is_file():  # remotes with credentials live here, never in git
        shutil.copy2(local, worktree / ".dvc" / "config.local")
    run([*dvc, "config", "--local", "cache.dir", cache], cwd=worktree)
    for name, url in relative_remotes(root / ".dvc" / "config"):
        # a relative remote is relative to .dvc/: from the worktree it would point elsewhere
        absolute = str((root / ".dvc" / url).resolve())
        run([*dvc, "remote", "modify", "--local", name, "url", absolute], cwd=worktree)
    if run([*dvc, "checkout", "--quiet"], cwd=worktree, check=False).returncode == 0:
        return
    try:
        run([*dvc, "pull", "--quiet"], cwd=worktree)
    except CommandFailed as error:
        raise ServiceUnavailable(
            f"the rerun's data is neither in the DVC cache nor on the remote: {error}"
        ) from None


def relative_remotes(config_file: Path) -> list[tuple[str, str]]:
    """(name, url) of the remotes in a DVC config whose url is a relative local path."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(config_file, encoding="utf-8")
    except configparser.Error:
        return []
    found = []
    for section in parser.sections():
        match = re.fullmatch(r"""remote\s+["']?([^"']+)["']?""", section.strip().strip("'\""))
        url = parser.get(section, "url", fallback="")
        if match and url and "://" not in url and not Path(url).is_absolute():
            found.append((match.group(1), url))
    return found


def _execute(ctx: HypothesisContext, worktree: Path, argv: Sequence[str], rerun_of: str):
    from researchflow.commands.run import execute_run

    # the repository's own config: the same store and experiment; cwd makes git, the plan
    # and the data come from the worktree
    outcome = execute_run(
        ctx.config,
        ctx.id,
        list(argv),
        cwd=worktree,
        extra_tags={RERUN_TAG: rerun_of},
        source="rerun",
        rerun_of=rerun_of,
        record=False,
        stdout=2,  # the experiment's own output goes to stderr: `--json` stays parseable
    )
    metrics = dict(outcome.entry.metrics) if outcome.entry is not None else {}
    if not metrics and outcome.run_id:
        from researchflow.adapters.mlflow import fetch_runs

        found = fetch_runs(tracking_uri(ctx.config), [outcome.run_id]).get(outcome.run_id)
        metrics = dict(found.metrics) if found else {}
    return RerunResult(outcome.run_id, outcome.exit_code, metrics)
