"""`rflow diff RUN_A RUN_B`: one screen naming what differs between two runs."""

from __future__ import annotations

from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.frozen import field, frozen
from researchflow.documents.config import Config, tracking_uri
from researchflow.runs.rundiff import Difference, RunFacts, compare, facts_from_store, same_count

SECTION_TITLES = {"run": "run", "params": "params", "metrics": "metrics", "data": "data (md5)"}


@frozen
class DiffResult:
    a: RunFacts
    b: RunFacts
    differences: list[Difference]
    same: int
    code_stat: str = ""  # `git diff --stat` between the two commits
    code_note: str = ""  # why there is no stat (a commit this clone lacks)
    notes: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a.run_id,
            "b": self.b.run_id,
            "identical": not self.differences,
            "same": self.same,
            "differences": [d.to_json() for d in self.differences],
            "code_stat": self.code_stat or None,
            "notes": {"a": self.a.note or None, "b": self.b.note or None},
        }

    def to_text(self) -> str:
        lines = [f"A {self.a.run_id}  ({_label(self.a)})", f"B {self.b.run_id}  ({_label(self.b)})"]
        if self.a.note or self.b.note:
            lines.append(f"  note A: {self.a.note or '-'}")
            lines.append(f"  note B: {self.b.note or '-'}")
        if not self.differences:
            lines.append(f"no difference in {self.same} compared fields")
            return "\n".join(lines)
        for section, title in SECTION_TITLES.items():
            rows = [d for d in self.differences if d.section == section]
            if not rows:
                continue
            lines.append(f"{title}:")
            width = max(len(d.name) for d in rows)
            for row in rows:
                change = f"{row.a if row.a is not None else '(absent)'} → "
                change += row.b if row.b is not None else "(absent)"
                if row.delta is not None:
                    change += f"  ({row.delta:+.6g})"
                lines.append(f"  {row.name.ljust(width)}  {change}")
        if self.code_stat:
            lines.append("code (git diff --stat A..B):")
            lines.extend(f"  {line}" for line in self.code_stat.splitlines())
        elif self.code_note:
            lines.append(f"code: {self.code_note}")
        lines.append(f"{len(self.differences)} differ, {self.same} the same")
        return "\n".join(lines)


def _label(facts: RunFacts) -> str:
    parts = [facts.hypothesis or "no hypothesis", facts.status]
    if facts.commit:
        parts.append(facts.commit[:10])
    if facts.user:
        parts.append(facts.user)
    if facts.dirty:
        parts.append("dirty")
    return ", ".join(parts)


def diff(config: Config, run_a: str, run_b: str) -> DiffResult:
    from researchflow.adapters.mlflow import open_store
    from researchflow.runs.storeplace import require_store_of_runs

    for name, run_id in (("RUN_A", run_a), ("RUN_B", run_b)):
        if not run_id.strip():
            raise UserError(f"{name}: empty (give an MLflow run ID, as runs.yaml lists them)")
    uri = tracking_uri(config)
    require_store_of_runs(config.root, uri, config.research_dir, [run_a, run_b])
    store = open_store(uri)
    store.check()
    found = store.search(sorted({run_a, run_b}))
    for run_id in (run_a, run_b):
        if run_id not in found:
            raise UserError(
                f"run {run_id}: not in the store at {store.uri} "
                "(check the run ID, or point MLFLOW_TRACKING_URI at the store that holds it)"
            )
    a, b = facts_from_store(found[run_a]), facts_from_store(found[run_b])
    differences = compare(a, b)
    stat, note = _code_stat(config, a.commit, b.commit)
    return DiffResult(a, b, differences, same_count(a, b, differences), stat, note)


def _code_stat(config: Config, commit_a: str, commit_b: str) -> tuple[str, str]:
    from researchflow.adapters import git

    if not commit_a or not commit_b or commit_a == commit_b:
        return "", ""
    missing = [c for c in (commit_a, commit_b) if not git.commit_exists(config.root, c)]
    if missing:
        return "", f"commit {missing[0][:10]} is not in this clone (git fetch, then diff again)"
    return git.git(config.root, "diff", "--stat", commit_a, commit_b).rstrip(), ""
