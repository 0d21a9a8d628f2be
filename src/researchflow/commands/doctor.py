"""`rflow doctor`: what is installed and reachable, and how to fix what is not.

Each check is a small function returning a Finding; none imports mlflow, dvc or gitlab
(installed versions come from package metadata), so the doctor stays quick.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from researchflow.adapters import git as gitrepo
from researchflow.adapters.process import CommandFailed, run
from researchflow.base import safeyaml
from researchflow.base.errors import EXIT_CHECK_FAILED, EXIT_OK, UserError
from researchflow.base.frozen import asdict, frozen
from researchflow.base.names import GITLAB_TOKEN
from researchflow.documents.config import Config, tracking_uri
from researchflow.documents.hooks import existing_hook_ids

OK, WARN, FAIL = "ok", "warn", "FAIL"
QUARTO_INSTALL = (
    "install Quarto from https://quarto.org/docs/get-started/ "
    "(Debian/Ubuntu: download the .deb and `sudo dpkg -i quarto-*.deb`)"
)


@frozen
class Finding:
    name: str
    state: str  # ok | warn (optional, or worth knowing) | FAIL (required and broken)
    detail: str
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = self.state.lower()
        return data


@frozen
class DoctorResult:
    findings: tuple[Finding, ...]

    @property
    def exit_code(self) -> int:
        return EXIT_CHECK_FAILED if any(f.state == FAIL for f in self.findings) else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.exit_code == EXIT_OK, "checks": [f.to_json() for f in self.findings]}

    def to_text(self) -> str:
        width = max(len(f.name) for f in self.findings)
        lines: list[str] = []
        for finding in self.findings:
            lines.append(f"{finding.state:<4}  {finding.name:<{width}}  {finding.detail}")
            if finding.fix:
                lines.append(f"{'':<4}  {'':<{width}}  fix: {finding.fix}")
        failed = sum(1 for f in self.findings if f.state == FAIL)
        if failed:
            lines.append(f"{failed} required check{'s' if failed > 1 else ''} failed")
        else:
            lines.append("all required checks passed")
        return "\n".join(lines)


def doctor(config: Config) -> DoctorResult:
    findings = [
        check_git(config.root),
        check_dvc(config),
        check_mlflow(config),
        *check_runs_store(config),
        check_quarto(config.quarto.required),
        check_gitlab(config),
        check_pre_commit(config.root),
    ]
    return DoctorResult(tuple(findings))


def _git(root: Path, *args: str) -> str | None:
    """git's answer through the one git adapter, or None: doctor reports, it does not fail."""
    try:
        return gitrepo.git(root, *args).strip()
    except (CommandFailed, UserError):
        return None


def check_git(root: Path) -> Finding:
    if shutil.which("git") is None:
        return Finding("git", FAIL, "git is not on PATH", "install git (e.g. apt-get install git)")
    version = _git(root, "--version") or "git (version unknown)"
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None:
        return Finding(
            "git", FAIL, f"{version}; {root} is not a git repository", "run `git init` here"
        )
    return Finding("git", OK, f"{version}; repository {top}")


def _installed(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_dvc(config: Config) -> Finding:
    if not config.dvc.enabled:
        return Finding("dvc", OK, "disabled (dvc.enabled: false): data versions are not recorded")
    version = _installed("dvc")
    if version is None or importlib.util.find_spec("dvc") is None:
        return Finding("dvc", FAIL, "DVC is not installed", "pip install dvc")
    if not (config.root / ".dvc").is_dir():
        return Finding(
            "dvc",
            FAIL,
            f"DVC {version} installed; this repository has no .dvc/",
            "run `dvc init` (or `rflow init`), then commit .dvc/",
        )
    return Finding("dvc", OK, f"DVC {version}; repository initialised")


def check_mlflow(config: Config) -> Finding:
    version = _installed("mlflow")
    if version is None:
        return Finding("mlflow", FAIL, "MLflow is not installed", "pip install mlflow")
    uri = tracking_uri(config)
    if os.environ.get("MLFLOW_TRACKING_URI"):
        origin = "from $MLFLOW_TRACKING_URI"
    elif config.mlflow.tracking_uri:
        origin = f"from {config.source or 'the config'}"
    else:
        origin = "the embedded store"
    shown = gitrepo.redact(uri)
    where = f"MLflow {version}; store {shown} ({origin})"
    fix_uri = "point MLFLOW_TRACKING_URI or mlflow.tracking_uri at a running server"
    scheme = urllib.parse.urlsplit(uri).scheme.lower()
    if scheme in ("http", "https"):
        from researchflow.adapters.mlflow import health

        problem = health(uri)
        if problem:
            return Finding(
                "mlflow", FAIL, f"{where}: not reachable ({problem})", f"start it, or {fix_uri}"
            )
        return Finding("mlflow", OK, f"{where}: reachable")
    if scheme == "sqlite":
        path = _sqlite_path(uri)
        if path is None:
            return Finding("mlflow", OK, f"{where}: in-memory database")
        if path.is_file():
            return Finding("mlflow", OK, f"{where}: database file exists")
        if origin == "the embedded store" or path.parent.is_dir():
            return Finding("mlflow", OK, f"{where}: created on the first `rflow run`")
        return Finding(
            "mlflow",
            FAIL,
            f"{where}: folder {path.parent} does not exist",
            f"create the folder, or {fix_uri}",
        )
    if scheme in ("", "file"):
        path = Path(urllib.parse.urlsplit(uri).path if scheme else uri)
        if path.is_dir():
            return Finding("mlflow", OK, f"{where}: folder exists")
        return Finding("mlflow", OK, f"{where}: created on the first `rflow run`")
    return Finding("mlflow", OK, f"{where}: reachability not checked for {scheme}:// stores")


def check_runs_store(config: Config) -> list[Finding]:
    """Whether the store this machine uses holds the runs the research folders list: a
    clone without the first machine's embedded store is told so, not "all is well"."""
    from researchflow.documents.runlog import read_runs
    from researchflow.runs.storeplace import sqlite_file, where_runs_live

    entries: list[Any] = []
    for path in sorted((config.root / config.research_dir).glob("*/runs.yaml")):
        try:
            entries.extend(read_runs(path).runs)
        except UserError:
            continue  # `rflow check` names a broken file; the doctor asks about the store
    if not entries:
        return []
    uri = tracking_uri(config)
    home = gitrepo.redact(where_runs_live(config.root, entries))
    ids = sorted({entry.run_id for entry in entries})
    listed = f"{len(ids)} run{'s' if len(ids) != 1 else ''} listed in {config.research_dir}/"
    reach = (
        "`rflow store import FILE` (made with `rflow store export ID -o FILE` where the runs "
        "were made), or set MLFLOW_TRACKING_URI to the team's tracking server"
    )
    database = sqlite_file(uri, config.root)
    if database is not None and not database.exists():
        detail = f"{listed} live in {home}, which does not exist here"
        return [Finding("runs", FAIL, detail, reach)]
    try:
        present = _present(uri, database, ids)
    except Exception as error:  # the doctor reports, it does not fail
        return [Finding("runs", WARN, f"{listed}: could not ask the store ({error})")]
    if present is None:
        return []
    missing = len(ids) - len(present)
    if missing:
        detail = (
            f"{listed}: the store {gitrepo.redact(uri)} lacks {missing} of them (made in {home})"
        )
        return [Finding("runs", FAIL, detail, reach)]
    return [Finding("runs", OK, f"{listed}: all in the store")]


def _present(uri: str, database: Path | None, ids: list[str]) -> set[str] | None:
    """Which of `ids` the store holds, without importing mlflow; None: not asked."""
    if database is not None:
        import sqlite3

        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            found: set[str] = set()
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    f"SELECT run_uuid FROM runs WHERE run_uuid IN ({marks})",
                    chunk,
                ).fetchall()
                found.update(str(row[0]) for row in rows)
            return found
        finally:
            connection.close()
    if urllib.parse.urlsplit(uri).scheme.lower() in ("http", "https"):
        from researchflow.adapters.mlflow import health, open_store

        if health(uri) is not None:
            return None  # check_mlflow already says the server is down
        return set(open_store(uri).search(ids))
    return None


def _sqlite_path(uri: str) -> Path | None:
    # sqlite:///relative.db, sqlite:////absolute.db; sqlite:// alone is in memory
    rest = uri[len("sqlite://") :]
    if not rest or rest == "/" or rest.startswith("/:memory:"):
        return None
    return Path(rest[1:] if rest.startswith("/") else rest)


def check_quarto(required: bool) -> Finding:
    state = FAIL if required else WARN
    note = "required by quarto.required" if required else "optional: needed by `rflow render`"
    if shutil.which("quarto") is None:
        return Finding("quarto", state, f"Quarto is not on PATH ({note})", QUARTO_INSTALL)
    try:
        version = run(["quarto", "--version"], timeout=30).stdout.strip()
    except (CommandFailed, OSError, subprocess.TimeoutExpired) as error:
        return Finding("quarto", state, f"`quarto --version` failed: {error}", QUARTO_INSTALL)
    return Finding("quarto", OK, f"Quarto {version}")


def check_gitlab(config: Config) -> Finding:
    token = f"{GITLAB_TOKEN} is set" if os.environ.get(GITLAB_TOKEN) else f"{GITLAB_TOKEN} not set"
    token_note = (
        "the REST API is used"
        if os.environ.get(GITLAB_TOKEN)
        else "draft merge requests go through git push options"
    )
    from researchflow.adapters.gitlab import resolve_target

    remote = config.gitlab.remote
    remote_url = _git(config.root, "remote", "get-url", remote)
    # the same resolution new-hypothesis and check use, so doctor reports what they will do
    target = resolve_target(config.gitlab.url, config.gitlab.project, remote_url)
    if target is not None:
        return Finding(
            "gitlab", OK, f"{target.url}, project {target.project}; {token} ({token_note})"
        )
    if remote_url is None:
        why = f"no remote {remote!r}"
        fix = f"`git remote add {remote} <gitlab url>`, or set gitlab.url and gitlab.project"
    else:
        why = f"remote {remote!r} ({gitrepo.redact(remote_url)}) is not a GitLab project URL"
        fix = (
            "set gitlab.url and gitlab.project in researchflow.yaml, or point "
            f"gitlab.remote at the GitLab remote (`git remote set-url {remote} <gitlab url>`)"
        )
    return Finding(
        "gitlab", WARN, f"{why}; {token}: merge requests cannot be opened (optional)", fix
    )


def check_pre_commit(root: Path) -> Finding:
    config_path = root / ".pre-commit-config.yaml"
    try:
        text = config_path.read_text(encoding="utf-8")
    except OSError:
        return Finding("pre-commit", FAIL, ".pre-commit-config.yaml is missing", "run `rflow init`")
    try:
        ids = existing_hook_ids(safeyaml.load(text))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        return Finding(
            "pre-commit",
            FAIL,
            f".pre-commit-config.yaml{line}: invalid YAML",
            "fix the YAML syntax, then run `rflow init`",
        )
    if "rflow-validate" not in ids:
        return Finding(
            "pre-commit",
            FAIL,
            ".pre-commit-config.yaml: hooks: rflow-validate is missing",
            "run `rflow init` to add it",
        )
    hook = _hook_path(root)
    if hook is None or not hook.is_file():
        return Finding(
            "pre-commit",
            FAIL,
            "rflow-validate is configured, but the git hook is not installed",
            "run `pre-commit install`",
        )
    return Finding("pre-commit", OK, f"rflow-validate configured; hook installed ({hook.name})")


def _hook_path(root: Path) -> Path | None:
    hooks_dir = _git(root, "config", "--get", "core.hooksPath")
    if hooks_dir:
        base = Path(os.path.expanduser(hooks_dir))
        return (base if base.is_absolute() else root / base) / "pre-commit"
    found = _git(root, "rev-parse", "--git-path", "hooks/pre-commit")
    if not found:
        return None
    path = Path(found)
    return path if path.is_absolute() else root / path
