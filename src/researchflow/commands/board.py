"""`rflow board --html FILE`: the portfolio as a self-contained HTML page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import frozen
from researchflow.base.output import fields_json
from researchflow.documents.config import Config
from researchflow.views.board import Links, render_board
from researchflow.views.portfolio_reader import collect


@frozen
class BoardResult:
    path: Path
    hypotheses: int
    concluded: int
    warnings: int

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)

    def to_text(self) -> str:
        warnings = "1 warning" if self.warnings == 1 else f"{self.warnings} warnings"
        count = "1 hypothesis" if self.hypotheses == 1 else f"{self.hypotheses} hypotheses"
        return f"wrote {self.path}: {count}, {self.concluded} in the research log, {warnings}"


def board(
    config: Config,
    html: Path,
    *,
    today: dt.date | None = None,
    swimlanes: bool = True,
    digest_link: str | None = None,
) -> BoardResult:
    if html.exists() and html.is_dir():
        raise UserError(f"{html}: is a folder (give a file name, e.g. board.html)")
    if not html.parent.exists():
        raise UserError(f"{html}: folder {html.parent} does not exist (create it first)")
    portfolio = collect(config, today)
    generated = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    page = render_board(
        portfolio,
        project=config.root.name,
        generated=generated,
        template_dirs=[config.root / config.templates_dir],
        swimlanes=swimlanes,
        digest_link=digest_link,
        links=_links(config),
        phases=config.phases,
    )
    write_atomic(html, page)
    return BoardResult(
        html, len(portfolio.rows), len(portfolio.concluded()), len(portfolio.warnings)
    )


def _links(config: Config) -> Links:
    """The GitLab project the cards link to: CI's variables, the config, or origin's URL."""
    from researchflow.adapters.git import remote_url
    from researchflow.adapters.gitlab import resolve_target

    remote = remote_url(config.root, config.gitlab.remote)
    target = resolve_target(config.gitlab.url, config.gitlab.project, remote)
    return Links(f"{target.url}/{target.project}" if target else None, config.gitlab.remote)
