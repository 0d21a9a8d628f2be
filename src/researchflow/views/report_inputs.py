"""What a report shows, gathered once: the plan, runs.yaml, ONE batched store query, the
plan's git history and the plan at each run's commit, classified into confirmatory and
exploratory runs, with the primary experiment and every other confirmatory one
(`gather_inputs`; the only side effects of a report). Rendering: views/report.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from researchflow.base.frozen import field, frozen, replace
from researchflow.base.names import PLAN_FILE, RUNS_FILE
from researchflow.documents.plan import Plan
from researchflow.verdicts.evidence import (
    BASELINE_ARM,
    EXPLORATORY,
    Classified,
    Experiment,
    as_registered,
    classify,
    experiment_key,
    experiment_runs,
    primary_experiment,
    primary_run,
)

if TYPE_CHECKING:
    from researchflow.documents.config import Config


@frozen
class Chosen:
    """A primary run chosen with `rflow report --primary`, as the report's front matter
    records it; `refused` says why it cannot be the primary (then the latest is)."""

    run_id: str
    by: str
    at: str
    refused: str = ""


CHOSEN_RUN = "primary_chosen_run"
CHOSEN_BY = "primary_chosen_by"
CHOSEN_AT = "primary_chosen_at"


@frozen
class ReportInputs:
    """Everything the results block shows, gathered once."""

    hypothesis_id: str
    plan: Plan
    classified: tuple[Classified, ...]
    primary_run: str | None
    observed: Mapping[str, float] = field(default_factory=dict)  # the primary run's metrics
    in_store: frozenset[str] = frozenset()  # run IDs the store returned
    links: Mapping[str, str] = field(default_factory=dict)  # run ID → MLflow UI address
    # the primary experiment (its group of repeats) and each of its runs' metrics in the
    # store; without them the primary run alone, with `observed`, is the experiment
    experiment: Experiment | None = None
    run_metrics: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    chosen: Chosen | None = None  # `rflow report --primary`: who chose which run
    # the tip plan, when a later deviation changed the predictions the run was judged by
    deviated: Plan | None = None
    # every other confirmatory experiment, each judged like the primary one (all count)
    others: tuple[ReportInputs, ...] = ()

    @property
    def primary_experiment(self) -> Experiment | None:
        if self.experiment is not None:
            return self.experiment
        run = next((c.run for c in self.classified if c.run_id == self.primary_run), None)
        return Experiment(None, (run,)) if run is not None else None

    def metrics_of(self, run_id: str) -> Mapping[str, float]:
        if run_id in self.run_metrics:
            return self.run_metrics[run_id]
        return self.observed if run_id == self.primary_run else {}


def gather_inputs(
    config: Config,
    hypothesis_id: str,
    *,
    store_runs: Mapping[str, Any] | None = None,
    history: Any = None,
    choose: Chosen | None = None,
) -> ReportInputs:
    """Read the plan, runs.yaml, ONE batched store query, the plan's git history and the
    plan at each run's commit.

    `store_runs`: the runs already fetched by the caller (`rflow check` shares its single
    query between levels), used instead of querying the store again; `history`: the plan's
    replayed history, likewise; `choose`: a primary run being chosen now (`rflow report
    --primary`) instead of the choice the report records.
    """
    import os

    from researchflow.adapters import mlflow as store
    from researchflow.adapters.gitobjects import read_blobs
    from researchflow.documents.config import tracking_uri
    from researchflow.documents.runlog import read_runs
    from researchflow.process.hypotheses import plan_path, read_plan_file, resolve_hypothesis
    from researchflow.verdicts.evidence import store_commit
    from researchflow.verdicts.history_reader import evidence_facts, read_history

    _, folder = resolve_hypothesis(config, hypothesis_id)
    path = plan_path(folder)
    result = read_plan_file(path, config)
    if result.plan is None:
        from researchflow.process.hypotheses import require_valid

        require_valid(result)  # raises, naming the first problem
    plan = result.plan
    assert plan is not None
    runs = read_runs(folder / RUNS_FILE).runs
    uri = tracking_uri(config)
    if store_runs is not None:
        found = dict(store_runs)
    else:
        from researchflow.runs.storeplace import require_runs_found, require_store

        # a clone without the runs' store: never write "missing" into the verdicts
        require_store(config.root, uri, plan.id, runs)
        found = store.fetch_runs(uri, [run.run_id for run in runs]) if runs else {}
        require_runs_found(config.root, uri, plan.id, runs, found)
    if history is None:
        history = read_history(config, path, os.environ)
    facts = evidence_facts(config, history, found)
    relative = path.relative_to(config.root).as_posix()
    commits = {run.commit for run in runs} | {store_commit(run, facts) for run in runs}
    blobs = read_blobs(config.root, [(commit, relative) for commit in sorted(commits)])
    digests = {commit: _digest_of(blob, config) for (commit, _), blob in blobs.items()}
    classified = tuple(_retired(c) for c in classify(plan, runs, digests, facts))
    if choose is None:
        choose = _chosen_in_report(folder)
    chosen = _judge_choice(choose, classified) if choose else None
    primary = chosen.run_id if chosen and not chosen.refused else primary_run(classified)
    links: dict[str, str] = {}
    for run in runs:
        # the link points at the store the run was made in (runs.yaml names it), so the
        # block reads the same wherever it is regenerated: a clone checking against an
        # imported store, or CI against the team's server
        made_in = run.tracking_uri or uri
        if made_in == uri and run.run_id in found:
            experiment_id = found[run.run_id].experiment_id
        else:
            experiment_id = run.experiment_id
        url = store.ui_url(made_in, experiment_id, run.run_id)
        if url:
            links[run.run_id] = url

    def view(run_id: str | None, chosen: Chosen | None) -> ReportInputs:
        """The report as it rests on the experiment of `run_id`, judged by the registration
        at that run's own commit."""
        registered_plan, deviated = plan, None
        if run_id is not None:
            at = store_commit(next(r for r in runs if r.run_id == run_id), facts)
            blob = blobs.get((at, relative))
            registered_plan = as_registered(plan, _plan_of(blob, config))
            if plan.predictions != registered_plan.predictions:
                deviated = plan
        evaluation = registered_plan.evaluation
        registered = evaluation.repeats if evaluation.repeats_registered else None
        experiment = primary_experiment(classified, run_id, registered, facts)
        return ReportInputs(
            hypothesis_id=plan.id,
            plan=registered_plan,
            classified=classified,
            primary_run=run_id,
            observed=dict(found[run_id].metrics) if run_id in found else {},
            in_store=frozenset(found),
            links=links,
            experiment=experiment,
            run_metrics={
                member: dict(found[member].metrics)
                for member in (experiment.run_ids if experiment else ())
                if member in found
            },
            chosen=chosen,
            deviated=deviated,
        )

    main = view(primary, chosen)
    by_run = {c.run_id: c.run for c in classified}
    mine = experiment_key(by_run[primary]) if primary in by_run else None
    others = tuple(
        view(latest, None) for key, latest in experiment_runs(classified).items() if key != mine
    )
    return replace(main, others=others) if others else main


def _retired(item: Classified) -> Classified:
    """A retired run (`rflow runs retire`) is counted as tried and never carries a verdict."""
    retired = item.run.retired
    if not retired:
        return item
    why = _one_line(str(retired.get("reason", "")))
    return Classified(item.run, EXPLORATORY, f"retired by {retired.get('by', '?')}: {why}")


def _chosen_in_report(folder: Path) -> Chosen | None:
    """The choice `rflow report --primary` wrote into the report's front matter."""
    from researchflow.base.names import REPORT_FILE
    from researchflow.documents.document import DocumentError, parse_document

    try:
        front = parse_document((folder / REPORT_FILE).read_bytes()).front_matter
    except (OSError, DocumentError):
        return None
    run, by = front.get(CHOSEN_RUN), front.get(CHOSEN_BY)
    if not run or not by:
        return None
    return Chosen(str(run), str(by), str(front.get(CHOSEN_AT) or ""))


def _judge_choice(choice: Chosen, classified: tuple[Classified, ...]) -> Chosen:
    """The choice, with why it cannot be the primary when it is not a confirmatory run."""
    item = next((c for c in classified if c.run_id == choice.run_id), None)
    if item is None:
        refused = "runs.yaml does not list it"
    elif not item.confirmatory:
        refused = f"it is exploratory: {item.reason}"
    elif item.run.arm == BASELINE_ARM:
        refused = "it is a baseline_command repeat"
    else:
        refused = ""
    return replace(choice, refused=refused)


def _plan_of(blob: bytes | None, config: Config) -> Plan | None:
    from researchflow.documents.plan_rules import read_plan

    return read_plan(blob, PLAN_FILE, config.sections).plan if blob is not None else None


def _digest_of(blob: bytes | None, config: Config) -> str | None:
    from researchflow.documents.document import DocumentError, parse_document
    from researchflow.documents.registration import digest

    if blob is None:
        return None
    try:
        return digest(parse_document(blob), config.sections)
    except DocumentError:
        return None


def _one_line(text: str) -> str:
    return " ".join(text.split())
