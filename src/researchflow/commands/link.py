"""`rflow link ID RUN_ID…`: adopt runs made outside `rflow run` (a notebook's start_run)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from researchflow.adapters import git as gitrepo
from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen, replace
from researchflow.base.names import (
    COMMIT,
    EXPLORATORY,
    HYPOTHESIS,
    PLAN_FILE,
    RUNS_FILE,
    is_valid_id,
)
from researchflow.documents.config import Config, tracking_uri
from researchflow.documents.project import shown_under
from researchflow.documents.runinputs import predicted_metrics
from researchflow.documents.runlog import RunEntry, append_run, read_runs
from researchflow.process.hypotheses import resolve_hypothesis
from researchflow.runs.linked import entry_from_store
from researchflow.runs.tags import ENDED

if TYPE_CHECKING:
    from researchflow.adapters.mlflow_store import StoreRun


@frozen
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
    from researchflow.runs.storeplace import require_store, require_store_of_runs

    if not run_ids or (hypothesis_id is None and len(run_ids) == 1 and is_valid_id(run_ids[0])):
        raise UserError("no run IDs given (usage: rflow link ID RUN_ID…)")
    root = config.root
    hypothesis, folder = resolve_hypothesis(config, hypothesis_id, root=root)
    metric_keys, plan_data = predicted_metrics(folder / PLAN_FILE)
    runs_file = folder / RUNS_FILE
    log = read_runs(runs_file)
    recorded = log.run_ids()
    uri = project_store(config)
    # a clone without the store its runs live in: say where they are, create nothing
    require_store(root, uri, hypothesis, log.runs)
    require_store_of_runs(root, uri, config.research_dir, run_ids)
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
        if run.tags.get(HYPOTHESIS) != hypothesis:
            store.set_tag(run_id, HYPOTHESIS, hypothesis)
        if exploratory:
            store.set_tag(run_id, EXPLORATORY, "true")
        entry = entry_from_store(root, uri, run, metric_keys, plan_data)
        entry = replace(entry, command=command or entry.command, exploratory=exploratory)
        append_run(runs_file, hypothesis, entry)
        linked.append(entry)
    return LinkResult(hypothesis, shown_under(runs_file, root), tuple(linked), tuple(already))


def project_store(config: Config) -> str:
    """The store this project's runs live in: the configured one, else the embedded store,
    or a tracking server MLFLOW_TRACKING_URI names. A run from any other store (a stray
    `mlflow.db` or `mlruns/` folder) is refused: its URI would mean another store elsewhere."""
    from researchflow.adapters.mlflow_store import is_server

    uri = tracking_uri(config)
    expected = config.mlflow.tracking_uri or f"sqlite:///{config.state_path / 'mlflow.db'}"
    if uri == expected or (not config.mlflow.tracking_uri and is_server(uri)):
        return uri
    raise UserError(
        f"MLFLOW_TRACKING_URI is {uri}, not this project's store {expected}: link runs "
        "from the project's store (unset MLFLOW_TRACKING_URI, or set mlflow.tracking_uri "
        "in the config to a shared store)"
    )


def _problem(
    root: Path, uri: str, hypothesis: str, run_id: str, run: StoreRun | None
) -> str | None:
    if run is None:
        return f"{run_id}: no such run in {uri} (check the ID and MLFLOW_TRACKING_URI)"
    commit = run.tags.get(COMMIT)
    if not commit:
        return (
            f"{run_id}: tag {COMMIT} missing (start runs with mlflow.start_run() from a "
            "script in this repository, or use `rflow run` / researchflow.run())"
        )
    if not gitrepo.commit_exists(root, commit):
        return (
            f"{run_id}: commit {commit[:12]} is not in this repository "
            "(fetch it, or link the run from its own repository)"
        )
    other = run.tags.get(HYPOTHESIS)
    if other and other != hypothesis:
        return f"{run_id}: already linked to {other} (a run belongs to one hypothesis)"
    if run.status not in ENDED:
        return f"{run_id}: still {run.status} (end it with mlflow.end_run() first)"
    return None
