"""`rflow export ID -o FILE.zip` and `rflow export --verify FILE.zip`: a self-contained
pre-registration record to archive or send, and the re-check of one received."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from researchflow.adapters import gitobjects
from researchflow.base.errors import CheckFailed, UserError
from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import frozen
from researchflow.base.names import PLAN_FILE, REPORT_FILE, RUNS_FILE
from researchflow.base.output import fields_json
from researchflow.documents.config import Config
from researchflow.documents.project import shown_path
from researchflow.views.record import (
    Registration,
    build_zip,
    json_bytes,
    registrations_markdown,
    verify_zip,
)


@frozen
class ExportResult:
    hypothesis: str
    path: str
    commit: str
    files: tuple[str, ...]
    check_ok: bool

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)

    def to_text(self) -> str:
        verdict = "passed" if self.check_ok else "FAILED (the record says so)"
        return (
            f"wrote {self.path}: {self.hypothesis} at {self.commit[:12]}, "
            f"{len(self.files)} files and a manifest; rflow check {verdict}\n"
            f"verify it with: rflow export --verify {self.path}"
        )


@frozen
class VerifyResult:
    path: str
    hypothesis: str
    commit: str
    checked: int

    def to_json(self) -> dict[str, Any]:
        return {"ok": True, **fields_json(self)}

    def to_text(self) -> str:
        return (
            f"{self.path}: intact: {self.checked} files match the manifest "
            f"({self.hypothesis} at {self.commit[:12]})"
        )


def export(config: Config, hypothesis_id: str | None, output: Path) -> ExportResult:
    from researchflow.adapters import git
    from researchflow.checks.context import CheckOptions, HypothesisContext
    from researchflow.checks.reporters import to_json
    from researchflow.checks.runner import run_checks
    from researchflow.process.hypotheses import resolve_hypothesis

    if output.suffix.lower() != ".zip":
        raise UserError(f"-o {output}: the record is a zip (name it e.g. {output.stem}.zip)")
    hypothesis, folder = resolve_hypothesis(config, hypothesis_id)
    ctx = HypothesisContext(config, hypothesis, folder, CheckOptions())
    if ctx.plan is None:
        raise UserError(f"{ctx.rel(PLAN_FILE)}: cannot be read (rflow validate names why)")
    commit = ctx.head
    members: dict[str, bytes] = {}
    for name in (PLAN_FILE, REPORT_FILE, RUNS_FILE):
        path = folder / name
        if path.is_file():
            members[name] = path.read_bytes()
    rows = _registrations(ctx)
    approved = next((row for row in rows if row.kind == "approval" and row.commit), None)
    if approved is not None:
        relative = ctx.plan_path.relative_to(config.root).as_posix()
        found = gitobjects.read_files(config.root, approved.commit, [relative])
        if relative in found:
            members["plan-as-approved.qmd"] = found[relative]
    members["registrations.md"] = registrations_markdown(rows).encode("utf-8")
    members["registrations.json"] = json_bytes([row.__dict__ for row in rows])
    for run_id, run in sorted(ctx.store_runs.items()):
        members[f"runs/{run_id}.json"] = json_bytes(_store_facts(run))
    report = run_checks(config, [(hypothesis, folder)], CheckOptions())
    members["check.json"] = json_bytes(to_json(report))
    about = {
        "hypothesis": hypothesis,
        "title": ctx.plan.title,
        "commit": commit,
        "branch": git.current_branch(config.root),
        "exported": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "check_ok": report.ok,
    }
    write_atomic(output, build_zip(members, about))
    return ExportResult(hypothesis, shown_path(output), commit, tuple(sorted(members)), report.ok)


def _registrations(ctx: Any) -> list[Registration]:
    """The approval, deviations and re-approvals from the plan, each with the commit git
    says introduced it."""
    plan = ctx.plan
    commits: dict[str, str] = {}
    try:
        for record in ctx.history.replay.records:
            commits[record.field] = record.commit.sha
    except UserError:
        pass  # no history to read (e.g. no target branch): the rows keep an empty commit
    rows: list[Registration] = []
    if plan.approval is not None:
        a = plan.approval
        rows.append(
            Registration("approval", "approval", a.by, a.at, a.digest, commits.get("approval", ""))
        )
    for index, d in enumerate(plan.deviations):
        name = f"deviations[{index}]"
        rows.append(
            Registration("deviation", name, d.by, d.at, d.digest, commits.get(name, ""), d.reason)
        )
    for index, r in enumerate(plan.reapprovals):
        name = f"reapprovals[{index}]"
        rows.append(Registration("reapproval", name, r.by, r.at, r.digest, commits.get(name, "")))
    return rows


def _store_facts(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "experiment_id": run.experiment_id,
        "status": run.status,
        "start_time_ms": run.start_time_ms,
        "end_time_ms": run.end_time_ms,
        "deleted": run.deleted,
        "tags": dict(sorted(run.tags.items())),
        "params": dict(sorted(run.params.items())),
        "metrics": {
            key: {"value": value, "logged_ms": run.metric_times.get(key)}
            for key, value in sorted(run.metrics.items())
        },
    }


def verify(path: Path) -> VerifyResult:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(f"{path}: cannot read: {error.strerror} (check the path)") from None
    found = verify_zip(data, shown_path(path))
    if not found.ok:
        raise CheckFailed("\n".join(found.problems))
    manifest = found.manifest
    return VerifyResult(
        shown_path(path),
        str(manifest.get("hypothesis", "")),
        str(manifest.get("commit", "")),
        found.checked,
    )
