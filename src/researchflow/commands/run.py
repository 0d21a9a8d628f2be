"""`rflow run [ID] -- CMD…`: run a command as an MLflow run linked to a hypothesis.

`start_linked_run` and `finish_linked_run` hold the linkage (tags, params, runs.yaml) so
that `execute_run` (the CLI, `rflow check --rerun`) and the Python API share it.
"""

from __future__ import annotations

import getpass
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from researchflow.adapters import git as gitrepo
from researchflow.config import Config, tracking_uri
from researchflow.errors import UserError
from researchflow.hypotheses import resolve_hypothesis
from researchflow.naming import is_valid_id
from researchflow.runlog import RUNS_FILE, RunEntry, append_run, utc_timestamp

PARAMS_FILE = "params.yaml"
TAG_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. /:")
MAX_VALUE = 5000  # below MLflow's limits for param (6000) and tag (8000) values


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    exit_code: int
    entry: RunEntry
    runs_file: str | None = None  # where the entry was recorded, None when not recorded
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "exit_code": self.exit_code,
            "runs_file": self.runs_file,
            "url": self.url,
            **self.entry.to_dict(),
        }

    def to_text(self) -> str:
        where = f", recorded in {self.runs_file}" if self.runs_file else ""
        return f"rflow: run {self.run_id} {self.entry.status} (exit {self.exit_code}){where}"


@dataclass(frozen=True)
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
    store: Any

    def child_environment(self) -> dict[str, str]:
        return {
            "MLFLOW_RUN_ID": self.run_id,
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "MLFLOW_EXPERIMENT_ID": self.experiment_id,
        }


def split_arguments(
    args: Sequence[str], *, separated: bool | None = None
) -> tuple[str | None, list[str]]:
    """`[ID] CMD…` → (ID or None, CMD). Click drops a leading `--`; an ID looks like H-007.

    `separated`: whether the user typed `--` before CMD (None: do not require it). A lone
    ID is the hypothesis, never a command.
    """
    items = list(args)
    if items and items[0] == "--":
        items = items[1:]
    hypothesis = None
    if items and is_valid_id(items[0]):
        hypothesis, items = items[0], items[1:]
        if separated is not None and "--" in items[1:] and items[0].startswith("-"):
            options = items[: items.index("--")]
            rest = " ".join(items[items.index("--") + 1 :][:3])
            raise UserError(
                f"rflow run: put rflow's options before the ID: rflow run {' '.join(options)} "
                f"{hypothesis} -- {rest}"
            )
        if items and items[0] == "--":
            items, separated = items[1:], True if separated is not None else None
    if items and separated is False:
        shown = " ".join(items[:3])
        raise UserError(
            f"rflow run: put `--` before the command: rflow run {hypothesis or '[ID]'} -- "
            f"{shown} (so rflow's options and the command's never mix)"
        )
    return hypothesis, items


def predicted_metrics(plan_path: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The metric keys the plan predicts and the data paths it names (front matter only)."""
    from researchflow.document import DocumentError, parse_document

    try:
        front = parse_document(plan_path.read_bytes()).front_matter
    except DocumentError as error:
        raise UserError(f"{plan_path}:{error.line}: {error.message} ({error.fix})") from None
    metrics = tuple(
        str(p["metric"])
        for p in front.get("predictions") or []
        if isinstance(p, dict) and isinstance(p.get("metric"), str)
    )
    data = tuple(str(d) for d in front.get("data") or [] if isinstance(d, str) and d.strip())
    return metrics, data


def unrecorded_dirt(paths: list[str], research_dir: str) -> list[str]:
    """Changed paths that make a run unreproducible: rflow's own bookkeeping is not dirt."""
    prefix = research_dir.strip("/") + "/"

    def bookkeeping(path: str) -> bool:
        if path == ".rflow" or path.startswith(".rflow/"):
            return True
        inside = path.removeprefix(prefix) if path.startswith(prefix) else None
        if inside is None or inside.count("/") != 1:
            return False
        name = inside.rsplit("/", 1)[1]
        # a concurrent run's atomic write of runs.yaml shows up as `.runs.yaml.<random>.tmp`
        return name == RUNS_FILE or (name.startswith(f".{RUNS_FILE}.") and name.endswith(".tmp"))

    return [path for path in paths if not bookkeeping(path)]


def read_params(root: Path) -> dict[str, str]:
    """params.yaml flattened the way DVC names them (`train.lr`), values as text."""
    import yaml

    from researchflow import safeyaml

    path = root / PARAMS_FILE
    if not path.is_file():
        return {}
    try:
        data = safeyaml.load(path.read_bytes())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise UserError(f"{PARAMS_FILE}:{line}: invalid YAML (fix the syntax)") from None
    return flatten_params(data) if isinstance(data, dict) else {}


def flatten_params(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten_params(value, f"{name}."))
        else:
            text = value if isinstance(value, str) else json.dumps(value, default=str)
            flat[name] = text[:MAX_VALUE]
    return flat


def data_tag(path: str) -> str:
    """`rflow.data.<path>`, with characters MLflow refuses in keys replaced by `_`."""
    return "rflow.data." + "".join(c if c in TAG_SAFE else "_" for c in path)


def run_tags(
    hypothesis: str,
    commit: str,
    branch: str | None,
    dirty: bool,
    command: Sequence[str],
    data: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    tags = {
        "rflow.hypothesis": hypothesis,
        "mlflow.source.git.commit": commit,
        "rflow.git.dirty": "true" if dirty else "false",
        "rflow.command": shlex.join(command)[:MAX_VALUE],
        "mlflow.source.type": "LOCAL",
        "mlflow.user": os.environ.get("RFLOW_USER") or _login(),
    }
    if branch:
        tags["mlflow.source.git.branch"] = branch
    if command:
        tags["mlflow.source.name"] = command[0]
    tags.update({data_tag(path): md5 for path, md5 in data.items()})
    tags.update(extra or {})
    return tags


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def start_linked_run(
    config: Config,
    hypothesis_id: str | None,
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    allow_dirty: bool = False,
    extra_tags: Mapping[str, str] | None = None,
) -> StartedRun:
    """Check everything, then create the run: nothing is written when a check fails."""
    from researchflow.adapters.dvc import data_versions
    from researchflow.adapters.mlflow import now_ms, open_store

    work = Path(cwd) if cwd else config.root
    gitrepo.require_repository(work)
    hypothesis, folder = resolve_hypothesis(config, hypothesis_id, root=work)
    metric_keys, plan_data = predicted_metrics(folder / "plan.qmd")
    commit = gitrepo.head_commit(work)
    branch = gitrepo.current_branch(work)
    dirt = unrecorded_dirt(gitrepo.changed_paths(work), config.research_dir)
    if dirt and not allow_dirty:
        more = f" and {len(dirt) - 1} more" if len(dirt) > 1 else ""
        raise UserError(
            f"{dirt[0]}{more}: uncommitted changes; commit them so the run is reproducible, "
            "or pass --allow-dirty to mark it unreproducible"
        )
    data = data_versions(work, plan_data or None) if config.dvc.enabled else {}
    params = read_params(work)
    uri = tracking_uri(config)
    store = open_store(uri)
    store.check()  # before anything is created: a down server writes nothing
    experiment = store.experiment_id(config.mlflow.experiment or config.root.name)
    start = now_ms()
    tags = run_tags(hypothesis, commit, branch, bool(dirt), command, data, extra_tags)
    run_id = store.create_run(experiment, tags, start)
    if params:
        store.log(run_id, params, {})
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
    )


def finish_linked_run(
    started: StartedRun,
    status: str,
    *,
    record: bool = True,
    source: str = "run",
    rerun_of: str | None = None,
) -> RunEntry:
    """End the run with `status`, read the predicted metrics and append the runs.yaml entry."""
    from researchflow.adapters.mlflow import now_ms

    end = now_ms()
    started.store.finish_run(started.run_id, status, end)
    stored = started.store.get_run(started.run_id)
    metrics = stored.metrics if stored else {}
    entry = RunEntry(
        run_id=started.run_id,
        experiment_id=started.experiment_id,
        tracking_uri=started.tracking_uri,
        commit=started.commit,
        branch=started.branch,
        dirty=started.dirty,
        command=started.command,
        data=started.data,
        started=started.started,
        ended=utc_timestamp(end),
        status=status,
        metrics={key: metrics[key] for key in started.metric_keys if key in metrics},
        source=source,
        rerun_of=rerun_of,
    )
    if record:
        append_run(started.runs_file, started.hypothesis, entry)
    return entry


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
    stdout: Any = None,
    announce: Any = None,
) -> RunOutcome:
    """Run `argv` as a linked MLflow run; the outcome carries the child's exit status.

    The child's output streams live (to `stdout` when given). `announce(text)` is called
    once the run exists, before the child starts.
    """
    from researchflow.adapters.mlflow import ui_url

    if not argv:
        from researchflow.hypotheses import registered_command

        argv = registered_command(config, hypothesis_id)
    child_cwd = Path(cwd) if cwd else Path.cwd()
    _require_executable(argv[0], child_cwd)
    started = start_linked_run(
        config, hypothesis_id, argv, cwd=cwd, allow_dirty=allow_dirty, extra_tags=extra_tags
    )
    url = ui_url(started.tracking_uri, started.experiment_id, started.run_id)
    if announce is not None:
        shown = url or started.tracking_uri
        announce(f"rflow: run {started.run_id} for {started.hypothesis} ({shown})")
    try:
        exit_code, status = _supervise(argv, child_cwd, started.child_environment(), stdout)
    except OSError as error:
        finish_linked_run(started, "FAILED", record=False)  # never leave it RUNNING
        raise UserError(f"{argv[0]}: cannot be started: {error.strerror}") from None
    entry = finish_linked_run(started, status, record=record, source=source, rerun_of=rerun_of)
    runs_file = _shown(started.runs_file, config.root) if record else None
    return RunOutcome(started.run_id, exit_code, entry, runs_file, url)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _require_executable(program: str, cwd: Path) -> None:
    if os.sep in program:
        target = cwd / program
        found = target.is_file() and os.access(target, os.X_OK)
    else:
        found = shutil.which(program) is not None
    if not found:
        raise UserError(f"{program}: command not found (check the command after --)")


def _supervise(
    argv: Sequence[str], cwd: Path, run_env: Mapping[str, str], stdout: Any
) -> tuple[int, str]:
    """Start the child, forward interrupts to it, and map its end to (exit code, status)."""
    env = {**os.environ, **run_env}
    interrupted: list[int] = []
    child = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=stdout)

    def forward(signum: int, _frame: Any) -> None:
        interrupted.append(signum)
        # Ctrl-C at a terminal already reached the child (same foreground process group);
        # a signal sent to rflow alone (kill, a CI runner) must be passed on
        if not _terminal_delivered(signum) and child.poll() is None:
            child.send_signal(signum)

    previous = _install({signal.SIGINT: forward, signal.SIGTERM: forward})
    try:
        returncode = child.wait()
    finally:
        _install(previous)
    if interrupted or returncode < 0:
        code = 128 - returncode if returncode < 0 else (returncode or 130)
        return code, "KILLED"
    return returncode, "FINISHED" if returncode == 0 else "FAILED"


def _terminal_delivered(signum: int) -> bool:
    if signum != signal.SIGINT:
        return False
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


def _install(handlers: Mapping[int, Any]) -> dict[int, Any]:
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread may set handlers; the child still gets Ctrl-C
    return {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}


# --- the Python API: `with researchflow.run("H-007"):` ---------------------------------


@dataclass(frozen=True)
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
    from researchflow.adapters.mlflow import fluent_run, require_no_active_run, ui_url
    from researchflow.config import load_config

    config = load_config(Path(root) if root else None)
    require_no_active_run()
    argv = tuple(command) if command is not None else default_command()
    started = start_linked_run(config, hypothesis_id, argv, allow_dirty=allow_dirty)
    saved = {name: os.environ.get(name) for name in started.child_environment()}
    os.environ.update(started.child_environment())  # subprocesses log to the same run
    status = "FAILED"
    try:
        with fluent_run(started.tracking_uri, started.experiment_id, started.run_id):
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
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        finish_linked_run(started, status, record=record)
