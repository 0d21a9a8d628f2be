"""The rows for a plan's life: set-up, intake, the plan, review and the lifecycle steps."""

from __future__ import annotations

from pathlib import Path

import click

from researchflow.cli.table import Group, Row, Values, arg, hypothesis_arg, listed, opt, reason

RICE_HELP = "Reach, impact, confidence, effort: 1..5 each."
AUTHOR_HELP = "Who proposes it. Default: $RFLOW_USER, else git's user.name."
OVERRIDE_HELP = "Pass the team's limit anyway; the reason is recorded in lifecycle: and shown."


def no_push(help_text: str) -> click.Option:
    """`--no-push`, passed to the function as push=False."""
    return opt("--no-push", "push", is_flag=True, flag_value=False, default=True, help=help_text)


def serves(help_text: str) -> click.Option:
    """`--serves METRIC`, repeatable, passed as the tuple `serves`."""
    return opt("--serves", "serves", multiple=True, metavar="METRIC", help=help_text)


def people() -> list[click.Parameter]:
    return [
        opt("--designer", help="Who designs the experiment."),
        opt("--executor", help="Who runs it (not the author, unless the plan says why)."),
        opt("--reviewer", "reviewers", multiple=True, help="A reviewer; repeat for more."),
    ]


def _groom(values: Values) -> Values:
    return {"title": values.pop("hypothesis_id"), **values}


def _phase(values: Values) -> Values:
    args = values.pop("args")
    if len(args) > 2:
        raise click.UsageError("give [ID] PHASE, e.g. rflow phase H-007 modelling")
    hypothesis_id, name = (args[0], args[1]) if len(args) == 2 else (None, args[0])
    return {**values, "hypothesis_id": hypothesis_id, "name": name}


def _backlog_step(event: str, help_text: str, with_rice: bool = False) -> Row:
    return Row(
        event,
        "backlog:change",
        help_text,
        [
            arg("idea_id", metavar="ID"),
            reason("Why, in one sentence."),
            opt(
                "--rice",
                required=with_rice,
                hidden=not with_rice,
                help="The new score: reach,impact,confidence,effort, each 1..5.",
            ),
            opt("--base", help="Branch the backlog lives on. Default: base_branch."),
            no_push("Commit on the local base branch only."),
        ],
        prepare=lambda values: {**values, "event": event},
    )


ROWS: list[Row | Group] = [
    Row(
        "validate",
        "validate:validate",
        """Check plan and report documents: front matter, sections, roles, RICE.

    With no PATHS, every research/*/plan.qmd and report.qmd is checked. Each problem is
    printed as `path:line: field: problem (fix)`. Exit 1 when a document has problems,
    2 when a file cannot be read as a document at all.

    Example: rflow validate research/H-007-graded-target/plan.qmd
    """,
        [arg("paths", nargs=-1, type=click.Path(path_type=Path))],
        prepare=listed("paths"),
        exit_code=True,
    ),
    Row(
        "init",
        "init:init",
        """Set up researchflow in an existing git repository. Safe to run again.

    Writes researchflow.yaml, ignores .rflow/ (and MLflow's own mlflow.db and mlruns/),
    adds rflow's pre-commit hooks next to yours, runs `pre-commit install` and creates the
    template override folder.

    Example: cd my-project && rflow init
    """,
        [
            opt(
                "--dvc/--no-dvc",
                "with_dvc",
                default=True,
                show_default=True,
                help="Run `dvc init` when the repository has no DVC yet.",
            ),
            opt(
                "--gitlab-ci",
                is_flag=True,
                help="Also add the `rflow check` merge-request job to .gitlab-ci.yml.",
            ),
            opt(
                "--install-hook/--no-install-hook",
                default=True,
                show_default=True,
                help="Run `pre-commit install` so plans are validated on every commit.",
            ),
        ],
    ),
    Row(
        "new-hypothesis",
        "new_hypothesis:new_hypothesis",
        """Open a hypothesis: next free ID, a branch, a draft plan and a draft merge request.

    Allocates H-NNN (one more than any ID on a branch, here or on the remote, or in
    research/), creates hyp/<id>-<slug> from the base branch, writes
    research/<id>-<slug>/plan.qmd from the template, commits, pushes and opens a draft
    merge request: through git push options, or through the GitLab API when GITLAB_TOKEN
    is set. On any failure nothing is left behind: your branch is checked out again.

    Example: rflow new-hypothesis "Graded target improves recall" --rice 3,3,2,3 --reviewer dave
    """,
        [
            arg("title"),
            opt("--rice", metavar="R,I,C,E", help=RICE_HELP),
            opt("--author", help=AUTHOR_HELP),
            *people(),
            serves(
                "A success metric of the problem statement this hypothesis moves; repeat for more."
            ),
            opt("--base", help="Branch to start from. Default: base_branch, else the default."),
            no_push("Only create the branch and plan locally."),
        ],
    ),
    Row(
        "idea",
        "idea:idea",
        """Put an idea in the backlog: an ID and a RICE score, no branch yet.

    Appends the idea to research/backlog.yaml in one commit on the base branch and pushes
    it (with the ID's reservation, so no one else takes the ID). `rflow rank` and `rflow
    board` show it with the drafts; `rflow groom ID` later makes the branch, the plan and
    the draft merge request.

    Example: rflow idea "Graded target improves recall" --rice 3,3,2,3
    """,
        [
            arg("title"),
            opt("--rice", metavar="R,I,C,E", required=True, help=RICE_HELP),
            opt("--author", help=AUTHOR_HELP),
            serves("A success metric of the problem statement it would move; repeat for more."),
            opt(
                "--base",
                help="The branch holding the backlog. Default: base_branch, else the default.",
            ),
            no_push("Only commit it on the local base branch."),
        ],
    ),
    Row(
        "groom",
        "new_hypothesis:new_hypothesis",
        """Turn a backlog idea into a hypothesis: its branch, its plan and a draft merge request.

    Same as `rflow new-hypothesis ID`: the idea's ID, title, RICE score, author and served
    metrics carry over; name the executor the team assigned.

    Example: rflow groom H-012 --executor carol --reviewer dave
    """,
        [
            arg("hypothesis_id", metavar="ID"),
            *people(),
            opt("--base", help="Branch to start from. Default: base_branch, else the default."),
            no_push("Only create the branch and plan locally."),
        ],
        prepare=_groom,
    ),
    Group(
        "backlog",
        """Keep the backlog honest: hold, resume, drop or re-score an idea not yet groomed.

    Each step appends `{event, by, at, reason}` to the idea's history in
    research/backlog.yaml and commits it on the base branch (pushed like `rflow idea`;
    --no-push commits locally). `rflow status` warns when an open idea waits longer than
    grooming_max_days (default 2); held ones do not count, dropped ones leave the ranking.

    Example: rflow backlog drop H-012 --reason "the data source is gone"
    """,
        [
            _backlog_step("hold", "Put an idea on hold: it stays listed, off the grooming clock."),
            _backlog_step("resume", "Take a held idea up again: its grooming clock restarts."),
            _backlog_step(
                "drop", "Drop an idea, with the reason: it leaves the ranking, never deleted."
            ),
            _backlog_step(
                "rescore", "Give an idea a new RICE score; the old one stays in its history.", True
            ),
        ],
    ),
    Row(
        "approve",
        "approve:approve",
        """Approve a plan in review: pre-register it before any run counts.

    The acting reviewer (RFLOW_USER, else git's user.name) must not be the plan's author
    and, when reviewers are named, must be one of them. Writes `approval: {by, at,
    digest}` and `status: approved` into plan.qmd; the digest covers the hypothesis,
    predictions, data and experiment design. Nothing is committed: commit the plan.

    Example: RFLOW_USER=dave rflow approve H-007
    """,
        [hypothesis_arg()],
    ),
    Row(
        "deviate",
        "deviate:deviate",
        """Record a deviation from the approved plan, after editing it.

    Appends `{at, by, reason, digest}` to `deviations` in plan.qmd with the digest of the
    plan as it is now, so the registration hook lets the change through. Runs started
    after a deviation are exploratory; the report lists every deviation.

    Example: rflow deviate H-007 --reason "responses.csv lost March; window moved a week"
    """,
        [
            hypothesis_arg(),
            reason("What changed from the approved plan, and why."),
        ],
    ),
    Row(
        "start",
        "lifecycle:start",
        """Start work on an approved plan: approved → running.

    Refused until a reviewer has approved the plan, when the acting user is not the
    plan's executor (unless roles.reason waives it), and when the executor already runs
    `wip_limit` hypotheses (unless --override "why"). Sets `status: running` and appends
    `{event: start, at, by}` to `lifecycle:` in plan.qmd; the timebox counts from here.
    Nothing is committed: commit the plan.

    Example: RFLOW_USER=carol rflow start H-007
    """,
        [hypothesis_arg(), opt("--override", metavar="REASON", help=OVERRIDE_HELP)],
    ),
    Row(
        "hold",
        "lifecycle:hold",
        """Pause a running hypothesis: running → hold.

    A held hypothesis leaves its executor's WIP count and its timebox clock stops until
    `rflow resume`. Edits only plan.qmd's front matter; nothing is committed.

    Example: rflow hold H-007 --reason "waiting for the March data export"
    """,
        [
            hypothesis_arg(),
            reason("Why the work pauses, in one sentence."),
        ],
    ),
    Row(
        "resume",
        "lifecycle:resume",
        """Take a held hypothesis up again: hold → running.

    Example: rflow resume H-007
    """,
        [hypothesis_arg()],
    ),
    Row(
        "conclude",
        "lifecycle:conclude",
        """Close a reported hypothesis: reported → concluded, with its outcome.

    Sets `status: concluded`, `outcome` and `conclusion` in plan.qmd and appends a
    `lifecycle:` event; `--decision`/`--decision-reason` go into report.qmd's front matter
    (required there unless already written). Refuted hypotheses are concluded and merged
    too: they are knowledge. Nothing is committed.

    Example: rflow conclude H-007 --conclusion "graded target lifts recall@10 by 0.03"
    --decision ship --decision-reason "beats the baseline at equal latency"
    """,
        [
            hypothesis_arg(),
            opt(
                "--outcome",
                type=click.Choice(["confirmed", "refuted", "inconclusive"]),
                help="Default: what the report's verdicts say (all confirmed, any refuted, else "
                "inconclusive). A different outcome needs a --conclusion that names the report's "
                "verdict.",
            ),
            opt("--conclusion", required=True, help="What was learned, in one line."),
            opt(
                "--decision",
                type=click.Choice(["ship", "iterate", "stop"]),
                help="Should the model go to production? Written to report.qmd's front matter.",
            ),
            opt("--decision-reason", help="Why, in one line. Written to report.qmd."),
        ],
    ),
    Row(
        "abandon",
        "lifecycle:abandon",
        """Give up a hypothesis that is not concluded: → abandoned, with the reason.

    Example: rflow abandon H-007 --reason "the data source was retired"
    """,
        [hypothesis_arg(), reason("Why the hypothesis is given up.")],
    ),
    Row(
        "extend",
        "lifecycle:extend",
        """Lengthen the timebox without a deviation: the timebox is not registered content.

    Raises `timebox_days` by DAYS and appends `{event: extend, days, reason}` to
    `lifecycle:` (append-only; the board shows the extension). Runs stay confirmatory.
    The executor extends; past `timebox_max_days` only with --override "why".
    Nothing is committed.

    Example: rflow extend H-007 --days 3 --reason "the March data arrived late"
    """,
        [
            hypothesis_arg(),
            opt("--days", type=int, required=True, help="Days to add to the timebox."),
            reason("Why the work needs longer."),
            opt("--override", metavar="REASON", help=OVERRIDE_HELP),
        ],
    ),
    Row(
        "shipped",
        "lifecycle:shipped",
        """After a concluded ship decision: record the pilot or A/B result and plan B.

    Writes `shipped: {result, plan_b, by, at}` into report.qmd's front matter; the board's
    research log shows it beside the decision. Nothing is committed.

    Example: rflow shipped H-007 --result "A/B: retention +1.8 % over 4 weeks"
    --plan-b "fall back to the tenure rule if retention drops below control"
    """,
        [
            hypothesis_arg(),
            opt("--result", required=True, help="What the pilot or A/B test showed, in one line."),
            opt("--plan-b", "plan_b", required=True, help="What the team does if it disappoints."),
        ],
    ),
    Row(
        "phase",
        "lifecycle:phase",
        """Enter a phase of the team's lifecycle: research, data-exploration, modelling,
    productization, ab-test, results-analysis (or the `phases:` of researchflow.yaml).

    Appends `{event: phase, phase, at, by}` to `lifecycle:` and names the phase's
    deliverable; the board shows each card's phase and the digest the days spent in each.
    Nothing is committed.

    Example: rflow phase H-007 modelling
    """,
        [arg("args", nargs=-1, required=True, metavar="[ID] PHASE")],
        prepare=_phase,
    ),
    Row(
        "signoff",
        "lifecycle:signoff",
        """Sign off the results of a reported hypothesis: the team reviewed the report.

    The acting user must be a reviewer who is none of author, designer and executor.
    Appends `{event: signoff, at, by}` to `lifecycle:`; `rflow conclude` requires it.
    Nothing is committed: commit the plan.

    Example: RFLOW_USER=dave rflow signoff H-007
    """,
        [hypothesis_arg()],
    ),
]
