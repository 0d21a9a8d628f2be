"""`rflow digest --since 7d`: the weekly summary for the team's board meeting, in Markdown.

Printed, written to a file (`--output`), or posted as a comment on a GitLab issue
(`--post-issue IID`, needs GITLAB_TOKEN). Read from every hypothesis branch like
`rflow status`; the dates are those the plans record.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import frozen
from researchflow.documents.config import Config
from researchflow.views.digest import Digest, build_digest, parse_since, render_markdown, timeline


@frozen
class DigestResult:
    digest: Digest
    markdown: str
    written: str | None = None
    posted: str | None = None  # the issue the comment went to

    def to_json(self) -> dict[str, Any]:
        return {
            **self.digest.to_json(),
            "markdown": self.markdown,
            "written": self.written,
            "posted": self.posted,
        }

    def to_text(self) -> str:
        done = []
        if self.written:
            done.append(f"wrote {self.written}")
        if self.posted:
            done.append(f"posted to {self.posted}")
        return "\n".join(done) if done else self.markdown.rstrip("\n")


def digest(
    config: Config,
    *,
    since: str = "7d",
    until: dt.datetime | None = None,
    output: Path | None = None,
    post_issue: int | None = None,
) -> DigestResult:
    from researchflow.views.portfolio_reader import collect, reported_dates

    end = until or dt.datetime.now(dt.UTC)
    try:
        start = parse_since(since, end)
    except ValueError as error:
        raise UserError(f"--since: {error}") from None
    if output is not None and output.is_dir():
        raise UserError(f"--output: {output} is a folder (give a file name, e.g. digest.md)")
    portfolio = collect(config, end.date())
    reported = reported_dates(config)
    timelines = [
        timeline(
            id=row.plan.id,
            title=row.plan.title,
            status=row.plan.status,
            executor=row.plan.executor,
            approval_at=row.plan.approved_at,
            lifecycle=row.plan.lifecycle,
            outcome=row.plan.outcome,
            decision=row.decision,
            reported=reported.get(row.plan.id),
            overrun_days=row.overrun_days,
        )
        for row in portfolio.rows
        if row.plan is not None
    ]
    result = build_digest(timelines, start, end)
    markdown = render_markdown(result, project=config.root.name)
    written = posted = None
    if output is not None:
        write_atomic(output, markdown)
        written = str(output)
    if post_issue is not None:
        posted = _post(config, post_issue, markdown)
    return DigestResult(result, markdown, written, posted)


def _post(config: Config, issue: int, markdown: str) -> str:
    from researchflow.adapters import gitlab as gl

    project = gl.connect(
        config.root, config.gitlab.remote, config.gitlab.url, config.gitlab.project
    )
    if project is None:
        raise UserError(
            "--post-issue: no GitLab to post to (set GITLAB_TOKEN, and gitlab.url/project in "
            "researchflow.yaml unless the origin remote is on GitLab)"
        )
    gl.add_issue_note(project, issue, markdown)
    return f"{project.target.project}#{issue}"
