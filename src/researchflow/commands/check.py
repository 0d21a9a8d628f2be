"""`rflow check`: select hypotheses, run the levels, write the reports CI publishes."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import frozen
from researchflow.base.names import CI_MERGE_REQUEST_IID
from researchflow.checks import reporters, selection
from researchflow.checks.context import CheckOptions
from researchflow.checks.model import CheckReport, CheckResult
from researchflow.checks.runner import run_checks
from researchflow.documents.config import Config


@frozen
class CheckOutcome:
    report: CheckReport
    written: tuple[str, ...] = ()
    note: str | None = None  # the merge-request note posted, when asked

    @property
    def exit_code(self) -> int:
        return self.report.exit_code

    def to_json(self) -> dict[str, Any]:
        data = reporters.to_json(self.report)
        data["written"] = list(self.written)
        data["mr_note"] = self.note
        return data

    def to_text(self) -> str:
        lines = [reporters.to_text(self.report)]
        lines.extend(f"wrote {path}" for path in self.written)
        if self.note:
            lines.append(f"merge-request note: {self.note}")
        return "\n".join(lines)


def select(
    config: Config, ids: list[str], *, changed: bool, all_: bool, env: Mapping[str, str]
) -> tuple[list[tuple[str, Path]], tuple[str, ...]]:
    if sum((bool(ids), changed, all_)) > 1:
        raise UserError("give hypothesis IDs, --changed or --all, not several of them")
    if all_:
        return selection.all_hypotheses(config), ()
    if changed:
        found = selection.changed(config, env)
        return found, () if found else ("no hypothesis changed: nothing to check",)
    if ids:
        return selection.by_ids(config, ids), ()
    return selection.current(config, env), ()


def changed_hypotheses(source: Config, gate: Any, env: Mapping[str, str]) -> list[tuple[str, Path]]:
    """What the merge request changes, judged against the target's configuration."""
    return selection.changed_since(source, gate.config, gate.base, env)


def check(
    config: Config,
    ids: list[str],
    *,
    changed: bool = False,
    all_: bool = False,
    rerun: bool = False,
    rerun_sample: int | None = None,
    execute_notebooks: bool = False,
    junit: Path | None = None,
    markdown: Path | None = None,
    post_mr_note: bool = False,
    env: Mapping[str, str] | None = None,
    reports: Sequence[tuple[str, Path]] = (),
) -> CheckOutcome:
    """`reports`: (format, file) pairs, formats from `reporters.RENDERERS`; `junit` and
    `markdown` are the same as ("junit", file) and ("markdown", file)."""
    env = os.environ if env is None else env
    gate_results: tuple[CheckResult, ...] = ()
    if changed and sum((bool(ids), all_)) == 0:
        from researchflow.checks.gate import judge

        gate = judge(config, env)  # the target branch's settings judge the merge request
        selected = changed_hypotheses(config, gate, env)
        notes: tuple[str, ...] = () if selected else ("no hypothesis changed: nothing to check",)
        config = gate.config
        gate_results = (gate.result,)
    else:
        selected, notes = select(config, ids, changed=changed, all_=all_, env=env)
    options = CheckOptions(
        rerun=rerun or rerun_sample is not None,
        execute_notebooks=execute_notebooks,
        rerun_sample=rerun_sample,
        env=env,
    )
    from researchflow.checks.gate import committed_store

    store = committed_store(config)
    if store is not None:  # never read a store the merge request could have written
        from researchflow.checks.model import GATE, GATE_SUBJECT, judged

        failed = judged(GATE_SUBJECT, GATE, [store])
        gate_results = (*(r for r in gate_results if r.status == "fail"), failed)
        selected = []
    report = run_checks(config, selected, options)
    hypotheses = report.hypotheses
    if any(r.status == "fail" for r in gate_results):
        hypotheses = (gate_results[0].hypothesis, *hypotheses)
    else:
        gate_results = ()  # a gate that passed is not worth a row
    report = CheckReport((*gate_results, *report.results), hypotheses, notes, config.identity.mode)
    written: list[str] = []
    summary = reporters.to_markdown(report)
    requested = list(reports)
    requested += [("junit", junit)] if junit is not None else []
    requested += [("markdown", markdown)] if markdown is not None else []
    # the files are written before anything can fail, so CI always has its reports
    for name, path in requested:
        write_atomic(path, reporters.render(name, report))
        written.append(str(path))
    note = _post_note(config, summary, env) if post_mr_note else None
    return CheckOutcome(report, tuple(written), note)


def _post_note(config: Config, summary: str, env: Mapping[str, str]) -> str:
    """Create or update rflow's one sticky note on the merge request (python-gitlab)."""
    iid = env.get(CI_MERGE_REQUEST_IID, "")
    if not iid.isdigit():
        raise UserError(
            "--post-mr-note: no merge request (CI_MERGE_REQUEST_IID is unset: "
            "run it in a merge-request pipeline, or set it to the MR's number)"
        )
    from researchflow.adapters import gitlab
    from researchflow.adapters.git import config_value

    token = gitlab.token_from_env(env)
    if token is None:
        raise UserError(
            "--post-mr-note: GITLAB_TOKEN is unset (in CI: a project access token in a "
            "masked variable; CI_JOB_TOKEN cannot post merge-request notes)"
        )
    remote_url = config_value(config.root, f"remote.{config.gitlab.remote}.url")
    target = gitlab.resolve_target(config.gitlab.url, config.gitlab.project, remote_url, env)
    if target is None:
        raise UserError(
            "--post-mr-note: cannot tell the GitLab project "
            "(set gitlab.url and gitlab.project in researchflow.yaml)"
        )
    project = gitlab.open_project(target, token)
    # upsert_note puts the marker on the first line itself
    body = summary.removeprefix(reporters.NOTE_MARKER).lstrip("\n")
    note = gitlab.upsert_note(project, int(iid), reporters.NOTE_MARKER, body)
    return f"{target.merge_request_url(int(iid))}#note_{note.id}"
