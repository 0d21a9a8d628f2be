"""The rows for the portfolio: status, rank, the board, the weekly digest, the doctor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from researchflow.cli.table import FILE, Group, Row, Values, command_function, opt

if TYPE_CHECKING:
    from researchflow.documents.config import Config


def _until(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.datetime | None:
    """`--until 2026-03-01` → the end of the digest's period, in UTC unless it says."""
    if value is None:
        return None
    try:
        end = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--until") from None
    return end if end.tzinfo is not None else end.replace(tzinfo=dt.UTC)


def _board(load_config: Callable[[], Config], values: Values, as_json: bool) -> int:
    """The page goes to .rflow/board.html unless --html names a file."""
    from researchflow.base.output import emit

    config = load_config()
    html = values.pop("html")
    if html is None:
        html = config.state_path / "board.html"
        html.parent.mkdir(parents=True, exist_ok=True)
    emit(command_function("board:board")(config, html, **values), as_json=as_json)
    return 0


ROWS: list[Row | Group] = [
    Row(
        "status",
        "status:status",
        """Every hypothesis on every branch, without checking any out.

    Reads each local and remote-tracking hypothesis branch's plan.qmd and runs.yaml from
    git (committed content), plus the merged and concluded hypotheses on the default
    branch. Shows ID, status/outcome, executor, RICE score, age in days, runs and days
    past the timebox, and warns when an executor runs more than one hypothesis at once or
    a running hypothesis has outlived its timebox. A broken plan is listed as broken.

    Example: rflow status --json
    """,
        [
            opt(
                "--by",
                "by",
                type=click.Choice(["metric"]),
                help="Group by the problem statement's success metrics: who serves each, what is "
                "confirmed.",
            )
        ],
        prepare=lambda values: {"by_metric": values["by"] == "metric"},
    ),
    Row(
        "rank",
        "rank:rank",
        """The backlog (draft, review, approved) by RICE score, highest first.

    RICE = reach × impact × confidence × effort, each 1..5 (effort 5 = easiest); ties go
    to the lower ID. The four factors are shown so the team can argue about them.

    Example: rflow rank
    """,
        [
            opt(
                "--all",
                "include_all",
                is_flag=True,
                help="Rank every hypothesis, not only the backlog.",
            )
        ],
    ),
    Row(
        "board",
        _board,
        """Write the portfolio as one self-contained HTML page.

    A Kanban column per status with a card per hypothesis (RICE, executor, age, outcome),
    and a research log of concluded hypotheses with their outcome and one-line
    conclusion, refuted ones included. No network assets: open it anywhere.

    With no --html the page goes to .rflow/board.html.

    Example: rflow board --html board.html
    """,
        [
            opt(
                "--html",
                "html",
                type=FILE,
                help="The HTML file to write. Default: .rflow/board.html (git-ignored).",
            ),
            opt(
                "--swimlanes/--no-swimlanes",
                default=True,
                show_default=True,
                help="Open the page on the rows per executor (the page has a toggle either way).",
            ),
            opt(
                "--digest",
                "digest_link",
                metavar="URL",
                help="Link the weekly digest (a file or a GitLab issue) from the board's header.",
            ),
        ],
    ),
    Row(
        "digest",
        "digest:digest",
        """The weekly summary for the team meeting, in Markdown.

    Approved, started, reported and concluded hypotheses (with outcomes and ship
    decisions), overdue and held ones, cycle time from approval to conclusion (median and
    per hypothesis) and throughput per week. Printed, written with --output, or posted as
    a GitLab issue comment with --post-issue.

    Example: rflow digest --since 7d --post-issue 12
    """,
        [
            opt("--since", default="7d", show_default=True, help="The period: 7d, 2w, or a date."),
            opt(
                "--output",
                type=FILE,
                help="Write the Markdown here.",
            ),
            opt(
                "--post-issue",
                type=int,
                metavar="IID",
                help="Post it as a comment on this GitLab issue (needs GITLAB_TOKEN).",
            ),
            opt(
                "--until",
                "until",
                metavar="DATE",
                hidden=True,
                callback=_until,
                help="End of the period (tests).",
            ),
        ],
    ),
    Row(
        "doctor",
        "doctor:doctor",
        """Say what is installed and reachable, and how to fix what is not.

    Checks git, DVC, the MLflow store, Quarto, the GitLab settings (and whether
    GITLAB_TOKEN is set, never its value) and rflow's pre-commit hook. Exit 0 when every
    required check passes (Quarto is optional unless quarto.required), 1 otherwise.

    Example: rflow doctor
    """,
        exit_code=True,
    ),
]
