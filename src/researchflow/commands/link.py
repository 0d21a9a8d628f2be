"""`rflow link ID RUN_ID…`: adopt runs made outside `rflow run` (a notebook's start_run)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from researchflow.adapters import git as gitrepo
from researchflow.commands.run import predicted_metrics
from researchflow.config import Config, tracking_uri
from researchflow.errors import UserError
from researchflow.hypotheses import resolve_hypothesis
from researchflow.naming import is_valid_id
from researchflow.runlog import RUNS_FILE, RunEntry, append_run, read_runs, utc_timestamp

COMMIT_TAG = "mlflow.source.git.commit"
HYPOTHESIS_TAG = "rflow.hypothesis"
DATA_PREFIX = "rflow.data."
EXPLORATORY_TAG = "rflow.exploratory"
ENDED = ("FINISHED", "FAILED", "KILLED")


@dataclass(frozen=True)
class LinkResult:
    hypothesis: str
    runs_file: str
    linked: tuple[RunEntry, ...]
    already: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "hypothesis": self.hypothesis,
            "runs_file": self.runs_file,
            "linked": [entry.to_dict() for entry in self.linked],
            "already_linked": list(self.already),
        }

    def to_text(self) -> str:
        lines = [f"linked {e.run_id} ({e.status}, commit {e.commit[:10]})" for e in self.linked]
        lines += [f"already linked: {run_id}" for run_id in self.already]
        return "\n".join(lines)


def link(
    config: Config,
    hypothesis_id: str | None,
    run_ids: list[str],
    *,
    command: tuple[str, ...] | None = None,
    exploratory: bool = False,
) -> LinkResult:
    """Check every run first, then tag them all and append their entries: all or nothing.

    `command` replaces the argv read from the runs' tags (a script's run records only its
    file); `exploratory` marks the runs as not evidence."""
    from researchflow.adapters.mlflow import open_store

    if not run_ids or (hypothesis_id is None and len(run_ids) == 1 and is_valid_id(run_ids[0])):
        raise UserError("no run IDs given (usage: rflow link ID RUN_ID…)")
    root = config.root
    hypothesis, folder = resolve_hypothesis(config, hypothesis_id, root=root)
    metric_keys, plan_data = predicted_metrics(folder / "plan.qmd")
    runs_file = folder / RUNS_FILE
    recorded = read_runs(runs_file).run_ids()
    uri = project_store(config)
    store = open_store(uri)
    store.check()
    found = store.search(list(dict.fromkeys(run_ids)))
    problems = [
        problem
        for run_id in dict.fromkeys(run_ids)
        if (problem := _problem(root, uri, hypothesis, run_id, found.get(run_id)))
    ]
    if problems:
        raise UserError("; ".join(problems))
    linked: list[RunEntry] = []
    already: list[str] = []
    for run_id in dict.fromkeys(run_ids):
        run = found[run_id]
        if run_id in recorded:
            already.append(run_id)
            continue
        if run.tags.get(HYPOTHESIS_TAG) != hypothesis:
            store.set_tag(run_id, HYPOTHESIS_TAG, hypothesis)
        if exploratory:
            store.set_tag(run_id, EXPLORATORY_TAG, "true")
        entry = _entry(root, uri, run, metric_keys, plan_data, command, exploratory)
        append_run(runs_file, hypothesis, entry)
        linked.append(entry)
    return LinkResult(hypothesis, _shown(runs_file, root), tuple(linked), tuple(already))


def project_store(config: Config) -> str:
    """The store this project's runs live in: the configured one, else the embedded store,
    or a tracking server MLFLOW_TRACKING_URI names. A run from any other store (a stray
    `mlflow.db` or `mlruns/` folder) is refused: its URI would mean another store elsewhere."""
    from researchflow.adapters.mlflow import is_server

    uri = tracking_uri(config)
    expected = config.mlflow.tracking_uri or f"sqlite:///{config.state_path / 'mlflow.db'}"
    if uri == expected or (not config.mlflow.tracking_uri and is_server(uri)):
        return uri
    raise UserError(
        f"MLFLOW_TRACKING_URI is {uri}, not this project's store {expected}: link runs "
        "from the project's store (unset MLFLOW_TRACKING_URI, or set mlflow.tracking_uri "
        "in the config to a shared store)"
    )


def _problem(root: Path, uri: str, hypothesis: str, run_id: str, run: Any) -> str | None:
    if run is None:
        return f"{run_id}: no such run in {uri} (check the ID and MLFLOW_TRACKING_URI)"
    commit = run.tags.get(COMMIT_TAG)
    if not commit:
        return (
            f"{run_id}: tag {COMMIT_TAG} missing (start runs with mlflow.start_run() from a "
            "script in this repository, or use `rflow run` / researchflow.run())"
        )
    if not gitrepo.commit_exists(root, commit):
        return (
            f"{run_id}: commit {commit[:12]} is not in this repository "
            "(fetch it, or link the run from its own repository)"
        )
    other = run.tags.get(HYPOTHESIS_TAG)
    if other and other != hypothesis:
        return f"{run_id}: already linked to {other} (a run belongs to one hypothesis)"
    if run.status not in ENDED:
        return f"{run_id}: still {run.status} (end it with mlflow.end_run() first)"
    return None


def _entry(
    root: Path,
    uri: str,
    run: Any,
    metric_keys: tuple[str, ...],
    plan_data: tuple[str, ...],
    given: tuple[str, ...] | None = None,
    exploratory: bool = False,
) -> RunEntry:
    from researchflow.adapters.dvc import data_versions

    tags = run.tags
    commit = tags[COMMIT_TAG]
    data = {
        key.removeprefix(DATA_PREFIX): v for key, v in tags.items() if key.startswith(DATA_PREFIX)
    }
    if not data:  # a plain MLflow run: the data is what the DVC files said at its commit
        data = data_versions(root, plan_data or None, rev=commit)
    command = given if given else source_command(tags)
    return RunEntry(
        run_id=run.run_id,
        experiment_id=run.experiment_id,
        tracking_uri=uri,
        commit=commit,
        branch=tags.get("mlflow.source.git.branch"),
        dirty=tags.get("rflow.git.dirty", "false").lower() == "true",
        command=command,
        data=data,
        started=utc_timestamp(run.start_time_ms) if run.start_time_ms else "",
        ended=utc_timestamp(run.end_time_ms) if run.end_time_ms else "",
        status=run.status,
        metrics={key: run.metrics[key] for key in metric_keys if key in run.metrics},
        source="link",
        exploratory=exploratory,
    )


def source_command(tags: dict[str, str]) -> tuple[str, ...]:
    """The argv a run was made with: rflow's own tag, else MLflow's source file run by the
    interpreter that runs scripts (MLflow records no arguments: pass `--command`)."""
    if tags.get("rflow.command"):
        return tuple(shlex.split(tags["rflow.command"]))
    source = tags.get("mlflow.source.name", "")
    if not source:
        return ()
    name = Path(source).name
    if name.endswith(".py"):
        return ("python", source)
    if name.endswith(".ipynb"):
        return ()  # a notebook cannot be rerun as a command
    return (source,)


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
