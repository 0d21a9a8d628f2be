"""Level 3, provenance: every linked run is in the store, belongs to this hypothesis, ran
on a commit that HEAD contains, and agrees with runs.yaml; the runs a verdict rests on also
finished, were clean, used the data the DVC files name at their commit, still name at HEAD,
and that data can still be fetched.

Exploratory runs that failed or ran on a dirty tree are allowed: the report counts them.
"""

from __future__ import annotations

import shlex
from typing import Any

from researchflow.adapters.git import is_ancestor
from researchflow.base.names import (
    COMMAND,
    COMMIT,
    HYPOTHESIS,
    RERUN_OF,
    RUNS_FILE,
    SOURCE_NAME,
    USER,
)
from researchflow.base.problems import Problem
from researchflow.checks.context import HypothesisContext
from researchflow.checks.model import CheckResult, judged, skipped
from researchflow.documents.runlog import utc_timestamp
from researchflow.runs.tags import data_from_tags, is_dirty
from researchflow.verdicts.evidence import late_metrics, parse_time

LEVEL = "provenance"
COMMAND_TAG = COMMAND
RERUN_TAG = RERUN_OF
COMMAND_TAG_LIMIT = 5000  # MLflow's tag value limit; rflow cuts longer commands there


def check(ctx: HypothesisContext) -> CheckResult:
    approved = ctx.plan.approval is not None
    if not ctx.runs and not approved:
        return skipped(ctx.id, LEVEL, "no linked runs")
    store = ctx.store_runs  # one batched query: every run tagged with it, and the listed
    checker = _Checker(ctx)
    for index, entry in enumerate(ctx.runs):
        checker.run(index, entry, ctx.live_runs.get(entry.run_id))
    checker.unlisted(store)
    checker.rewritten()
    evidence = len([e for e in ctx.runs if e.run_id in ctx.evidence_ids])
    detail = f"{len(ctx.runs)} run(s) traced, {evidence} used as evidence"
    return judged(ctx.id, LEVEL, checker.problems, detail)


def _stored_command(tags: dict[str, str]) -> tuple[str, ...] | None:
    """The command the store recorded, as `rflow run`/`rflow link` put it in runs.yaml."""
    import shlex

    if tags.get(COMMAND_TAG):
        if len(tags[COMMAND_TAG]) >= COMMAND_TAG_LIMIT:
            return None  # cut to the store's tag limit: cannot be compared
        try:
            return tuple(shlex.split(tags[COMMAND_TAG]))
        except ValueError:
            return None
    if tags.get(SOURCE_NAME):
        return (tags[SOURCE_NAME],)
    return ()


class _Checker:
    def __init__(self, ctx: HypothesisContext) -> None:
        self.ctx = ctx
        self.root = ctx.config.root
        self.shown = ctx.rel(RUNS_FILE)
        self.problems: list[Problem] = []
        self._versions: dict[str, dict[str, str]] = {}
        self._ancestors: dict[str, bool] = {}  # commit → in HEAD's history (one git each)
        try:
            self._lines = ctx.runs_path.read_text(encoding="utf-8").splitlines()
        except OSError:
            self._lines = []
        self._line = 1

    def add(self, field: str, message: str, fix: str) -> None:
        self.problems.append(Problem(self.shown, self._line, field, message, fix))

    def _line_of(self, run_id: str) -> int:
        for number, line in enumerate(self._lines, start=1):
            if run_id in line:
                return number
        return 1

    def versions(self, rev: str) -> dict[str, str]:
        """DVC path → md5 at a revision, read once per revision."""
        if rev not in self._versions:
            from researchflow.adapters.dvc import data_versions

            self._versions[rev] = dict(data_versions(self.root, rev=rev))
        return self._versions[rev]

    def run(self, index: int, entry: Any, stored: Any) -> None:
        field = f"runs[{index}]"
        run = entry.run_id
        self._line = self._line_of(run)
        if stored is None:
            self.add(
                f"{field}.run_id",
                f"run {run} is not in the MLflow store",
                "`rflow store import` the bundle `rflow store export` made where it ran, or "
                "point MLFLOW_TRACKING_URI at the store it was made in, or run it again",
            )
            return
        tags = stored.tags
        owner = tags.get(HYPOTHESIS)
        if owner != self.ctx.id:
            self.add(
                f"{field}.run_id",
                f"run {run} belongs to {owner or 'no hypothesis'}, not {self.ctx.id}",
                f"remove it from this runs.yaml; make {self.ctx.id}'s own runs with `rflow run`",
            )
            return
        commit = tags.get(COMMIT)
        if commit and commit != entry.commit:
            self.add(
                f"{field}.commit",
                f"runs.yaml says {entry.commit[:12]}, the store says {commit[:12]}",
                "do not edit runs.yaml by hand; restore it from git",
            )
        if entry.commit not in self._ancestors:
            self._ancestors[entry.commit] = is_ancestor(self.root, entry.commit, self.ctx.head)
        if not self._ancestors[entry.commit]:
            from researchflow.adapters.git import is_shallow

            if is_shallow(self.root):
                self.add(
                    f"{field}.commit",
                    f"run {run} ran on {entry.commit[:12]}, which this shallow clone does not have",
                    "set GIT_DEPTH: 0 in the CI job, or run `git fetch --unshallow`",
                )
                return
            self.add(
                f"{field}.commit",
                f"run {run} ran on {entry.commit[:12]}, which is not an ancestor of HEAD "
                "(rebased, amended or from another branch)",
                "rerun the experiment on this branch with `rflow run`",
            )
            return
        store_dirty = is_dirty(tags)
        if store_dirty != bool(entry.dirty):
            self.add(
                f"{field}.dirty",
                f"runs.yaml says dirty: {str(entry.dirty).lower()}, the store says "
                f"{str(store_dirty).lower()}",
                "do not edit runs.yaml by hand; restore it from git",
            )
        if stored.status == "RUNNING":
            self.add(
                f"{field}.status",
                f"run {run} is unfinished: still RUNNING in the store (its rflow was killed "
                "or lost the server)",
                f"end it with `rflow runs close {run}`",
            )
        elif stored.status != entry.status:
            self.add(
                f"{field}.status",
                f"runs.yaml says {entry.status}, the store says {stored.status}",
                "do not edit runs.yaml by hand; restore it from git",
            )
        self.agrees(field, entry, stored)
        late = late_metrics(self.ctx.plan, stored)
        if late:
            self.add(
                f"{field}.metrics",
                f"run {run}: {', '.join(late)} was logged after the run ended "
                f"({utc_timestamp(stored.end_time_ms)}): an edit, not a result, so it "
                "backs no verdict",
                "run the experiment again with `rflow run`",
            )
        if run in self.ctx.evidence_ids:
            self.evidence(field, entry, stored, store_dirty)

    def agrees(self, field: str, entry: Any, stored: Any) -> None:
        """runs.yaml's command and times are the store's, field by field."""
        command = _stored_command(stored.tags)
        if command is not None and tuple(entry.command) != command:
            self.add(
                f"{field}.command",
                f"runs.yaml says `{shlex.join(entry.command)}`, the store says "
                f"`{shlex.join(command)}`",
                "do not edit runs.yaml by hand; restore it from git",
            )
        user = stored.tags.get(USER)
        if entry.user is not None and user != entry.user:
            self.add(
                f"{field}.user",
                f"runs.yaml says the run was made by {entry.user}, the store says "
                f"{user or 'nobody'}",
                "do not edit runs.yaml or the store's mlflow.user by hand; restore it from git, "
                "and the executor runs the experiment again if it was someone else",
            )
        for name, recorded, ms in (
            ("started", entry.started, stored.start_time_ms),
            ("ended", entry.ended, stored.end_time_ms),
        ):
            if ms is None:
                continue
            truth = utc_timestamp(ms)
            said = parse_time(recorded)
            if said is None or abs(said.timestamp() * 1000 - ms) >= 1000:
                self.add(
                    f"{field}.{name}",
                    f"runs.yaml says {name} {recorded or 'nothing'}, the store says {truth}",
                    "do not edit runs.yaml by hand; restore it from git",
                )

    def rewritten(self) -> None:
        """A run recorded in a commit of this branch is never rewritten or dropped later."""
        from researchflow.checks.runs_history import read_versions, rewrites

        base = self.ctx.history.base
        relative = self.ctx.rel(RUNS_FILE)
        index = {entry.run_id: i for i, entry in enumerate(self.ctx.runs)}
        for change in rewrites(read_versions(self.root, relative, base)):
            self._line = self._line_of(change.run_id)
            where = f"runs[{index[change.run_id]}]" if change.run_id in index else "runs"
            if not change.field:
                self.add(
                    where,
                    f"commit {change.sha[:12]} removes run {change.run_id}, recorded in commit "
                    f"{change.recorded[:12]}",
                    "every run tried counts: restore its entry from git",
                )
                continue
            self.add(
                f"{where}.{change.field}",
                f"commit {change.sha[:12]} changes run {change.run_id}'s {change.field} "
                f"({change.before} → {change.after}) after rflow recorded it in commit "
                f"{change.recorded[:12]}",
                "a run is recorded once, when it ends: restore the entry from git, and run "
                "the experiment again if it was wrong",
            )

    def unlisted(self, store: dict[str, Any]) -> None:
        """Every run the store holds with this hypothesis's tag is in runs.yaml."""
        listed = {entry.run_id for entry in self.ctx.runs}
        # the gate's rerun of a group is tagged with the group's parent run
        groups = {entry.group for entry in self.ctx.runs if entry.group}
        self._line = 1
        for run_id, stored in sorted(store.items()):
            if run_id in listed or stored.tags.get(HYPOTHESIS) != self.ctx.id:
                continue
            if stored.tags.get(RERUN_TAG) in listed | groups:
                continue  # the gate's own rerun of a listed run: not a try of the author's
            state = "deleted in the store" if stored.deleted else stored.status
            if stored.status == "RUNNING" and not stored.deleted:
                self.add(
                    "runs",
                    f"run {run_id} is unfinished (RUNNING in the store)",
                    "let it finish (`rflow run` lists it), or end it as KILLED in MLflow "
                    "and `rflow link` it",
                )
                continue
            self.add(
                "runs",
                f"run {run_id} is in the store with tag {HYPOTHESIS}={self.ctx.id} "
                f"but missing from runs.yaml ({state})",
                f"every run tried counts: restore its entry from git, or `rflow link {run_id}`",
            )

    def evidence(self, field: str, entry: Any, stored: Any, dirty: bool) -> None:
        run = entry.run_id
        if stored.status not in ("FINISHED", "RUNNING"):  # RUNNING: reported above
            self.add(
                f"{field}.status",
                f"run {run} is {stored.status}, yet the report rests on it",
                "rerun the experiment until it finishes, then `rflow report --update`",
            )
        if dirty:
            self.add(
                f"{field}.dirty",
                f"run {run} ran on uncommitted changes, yet the report rests on it",
                "commit the code, rerun with `rflow run`, then `rflow report --update`",
            )
        recorded = data_from_tags(stored.tags)
        data = dict(entry.data or {})
        if recorded and recorded != data:
            self.add(
                f"{field}.data",
                f"runs.yaml's data versions differ from the store's for run {run}",
                "do not edit runs.yaml by hand; restore it from git",
            )
        at_commit = self.versions(entry.commit)
        at_head = self.versions(self.ctx.head)
        for path, md5 in sorted(data.items()):
            key = f"{field}.data.{path}"
            then = at_commit.get(path)
            if then != md5:
                self.add(
                    key,
                    f"run {run} used {path} md5 {md5[:8]}, but its commit's DVC files name "
                    f"{then[:8] if then else 'no such data'}",
                    "rerun the experiment with `rflow run` on committed DVC files",
                )
                continue
            now = at_head.get(path)
            if now != md5:
                self.add(
                    key,
                    f"stale evidence: {path} changed since run {run} "
                    f"(md5 {md5[:8]} then, {now[:8] if now else 'removed'} at HEAD)",
                    "rerun the experiment on the current data with `rflow run`, "
                    "or revert the data change",
                )
                continue
            self.available(key, path, md5)
        if run == self.ctx.primary_run_id:
            self.outputs(field, entry)
            self.drift(field, entry, stored)

    def outputs(self, field: str, entry: Any) -> None:
        """The primary run's DVC outputs: named by HEAD's dvc.lock, and fetchable."""
        from researchflow.adapters.dvc import in_git, is_available

        outputs = dict(getattr(entry, "outputs", None) or {})
        if not outputs:
            return
        pipeline = self._pipeline(self.ctx.head)
        at_head = pipeline.outputs
        for path, md5 in sorted(outputs.items()):
            key = f"{field}.outputs.{path}"
            now = at_head.get(path)
            if now != md5:
                self.add(
                    key,
                    f"run {entry.run_id} produced {path} md5 {md5[:8]}, but dvc.lock at HEAD "
                    f"names {now[:8] if now else 'no such output'}",
                    "commit the dvc.lock the run wrote together with runs.yaml, "
                    "or rerun with `rflow run` and commit both",
                )
            elif path in pipeline.uncached:  # `cache: false`: git keeps it, not DVC
                if not in_git(self.root, self.ctx.head, path, md5):
                    self.add(
                        key,
                        f"output {path} (cache: false, md5 {md5[:8]}) of run {entry.run_id} "
                        "is not committed to git as the run wrote it",
                        f"`git add {path}` and commit it with dvc.lock",
                    )
            elif not is_available(self.root, path, md5):
                self.add(
                    key,
                    f"output {path} (md5 {md5[:8]}) of run {entry.run_id} is neither in the "
                    "DVC cache nor on the remote",
                    f"`dvc push {path}` from the machine that ran it",
                )

    def _pipeline(self, rev: str) -> Any:
        from researchflow.adapters.dvc_pipeline import read_pipeline

        return read_pipeline(self.root, rev)

    def drift(self, field: str, entry: Any, stored: Any) -> None:
        """HEAD's params and pipeline state against the primary run's: a second's work that
        tells what a rerun would find out in minutes."""
        from researchflow.runs.drift import param_changes, params_at, stale_stages

        head = params_at(self.root, self.ctx.head)
        ran = {k: v for k, v in stored.params.items() if k in head}
        changes = param_changes(ran, {k: head[k] for k in ran})
        if changes:
            shown = ", ".join(str(c) for c in changes)
            self.add(
                f"{field}.params",
                f"params changed since run {entry.run_id}: {shown}",
                f"rerun with `rflow run` and `rflow report {self.ctx.id} --update`, "
                "or revert the params",
            )
        stale = [s for s in stale_stages(self.root, self.ctx.head) if " modified" in s]
        if stale:
            self.add(
                f"{field}.pipeline",
                f"the pipeline at HEAD is out of date (dvc status): {'; '.join(stale)}",
                "run the pipeline with `rflow run -- dvc repro`, commit dvc.lock and runs.yaml, "
                f"then `rflow report {self.ctx.id} --update`",
            )

    def available(self, key: str, path: str, md5: str) -> None:
        from researchflow.adapters.dvc import is_available

        if not is_available(self.root, path, md5):
            self.add(
                key,
                f"{path} (md5 {md5[:8]}) is neither in the DVC cache nor on the remote",
                "`dvc push` it from the machine that has it",
            )
