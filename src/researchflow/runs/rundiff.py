"""Two runs side by side: what differs between them, field by field (pure).

The facts come from the store (tags `rflow run` wrote, params, metrics, status, times), so
runs of different hypotheses and branches compare the same way.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from researchflow.base.frozen import field, frozen
from researchflow.base.names import BRANCH, COMMIT, HYPOTHESIS, NOTE, PATCH, USER
from researchflow.base.output import attributes
from researchflow.runs.tags import command_from_tags, data_from_tags, is_dirty

if TYPE_CHECKING:
    from researchflow.adapters.mlflow_store import StoreRun


@frozen
class RunFacts:
    """What a run is, as the store knows it."""

    run_id: str
    status: str
    hypothesis: str = ""
    commit: str = ""
    branch: str = ""
    command: tuple[str, ...] = ()
    user: str = ""
    dirty: bool = False
    patch: str = ""  # the artifact holding the uncommitted diff of a dirty run
    note: str = ""
    data: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)


def facts_from_store(run: StoreRun) -> RunFacts:
    tags = run.tags
    return RunFacts(
        run_id=run.run_id,
        status=run.status,
        hypothesis=tags.get(HYPOTHESIS, ""),
        commit=tags.get(COMMIT, ""),
        branch=tags.get(BRANCH, ""),
        command=command_from_tags(tags),
        user=tags.get(USER, ""),
        dirty=is_dirty(tags),
        patch=tags.get(PATCH, ""),
        note=tags.get(NOTE, ""),
        data=data_from_tags(tags),
        params=dict(run.params),
        metrics=dict(run.metrics),
    )


@frozen
class Difference:
    section: str  # run | params | metrics | data
    name: str
    a: str | None  # None: absent in that run
    b: str | None
    delta: float | None = None  # b - a, for a metric both runs logged

    def to_json(self) -> dict[str, Any]:
        return attributes(self, "section", "name", "a", "b", "delta")


RUN_FIELDS = ("hypothesis", "status", "commit", "branch", "command", "user", "dirty", "patch")


def _shown(facts: RunFacts, name: str) -> str | None:
    value = getattr(facts, name)
    if name == "command":
        return shlex.join(value) if value else None
    if name == "dirty":
        return "yes" if value else "no"
    return str(value) if value else None


def _number(value: float) -> str:
    return repr(value) if math.isfinite(value) else str(value)


def compare(a: RunFacts, b: RunFacts) -> list[Difference]:
    """Every field whose value differs, in a stable order: run, params, metrics, data."""
    differences = [
        Difference("run", name, _shown(a, name), _shown(b, name))
        for name in RUN_FIELDS
        if _shown(a, name) != _shown(b, name)
    ]
    for name in sorted(set(a.params) | set(b.params)):
        if a.params.get(name) != b.params.get(name):
            differences.append(Difference("params", name, a.params.get(name), b.params.get(name)))
    for name in sorted(set(a.metrics) | set(b.metrics)):
        first, second = a.metrics.get(name), b.metrics.get(name)
        if first == second:
            continue
        delta = second - first if first is not None and second is not None else None
        differences.append(
            Difference(
                "metrics",
                name,
                None if first is None else _number(first),
                None if second is None else _number(second),
                delta,
            )
        )
    for path in sorted(set(a.data) | set(b.data)):
        if a.data.get(path) != b.data.get(path):
            differences.append(Difference("data", path, a.data.get(path), b.data.get(path)))
    return differences


def same_count(a: RunFacts, b: RunFacts, differences: list[Difference]) -> int:
    """How many compared fields are equal (so the screen can say what did not change)."""
    compared = (
        len(RUN_FIELDS)
        + len(set(a.params) | set(b.params))
        + len(set(a.metrics) | set(b.metrics))
        + len(set(a.data) | set(b.data))
    )
    return compared - len(differences)
