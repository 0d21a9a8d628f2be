"""Which hypothesis a command is about: the ID given, else the current branch's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from researchflow.base.errors import UserError
from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import frozen
from researchflow.base.names import PLAN_FILE, id_from_branch, id_from_name, is_valid_id
from researchflow.documents.config import Config
from researchflow.documents.document import Document
from researchflow.documents.plan import Plan, PlanResult
from researchflow.documents.plan_rules import read_plan
from researchflow.documents.project import shown_path
from researchflow.process.steproles import Actor, actor


def resolve_hypothesis(
    config: Config, id_or_none: str | None, *, root: Path | None = None
) -> tuple[str, Path]:
    """(ID, its folder `research/<id>-<slug>`); the ID defaults to the current branch's.

    `root`: another checkout of the repository (a rerun's temporary worktree); default
    the configured root.
    """
    where = root or config.root
    if id_or_none is not None and not id_or_none.strip():
        # `rflow approve ''` (an unset shell variable) must not act on the current branch
        raise UserError(
            "ID: empty (give a hypothesis ID such as H-007, or leave it out for the "
            "current branch's)"
        )
    hypothesis_id = id_or_none if id_or_none else _id_from_branch(config, where)
    if not is_valid_id(hypothesis_id):
        raise UserError(
            f"{hypothesis_id!r} is not a hypothesis ID (use H- and at least three digits, "
            "e.g. H-007)"
        )
    return hypothesis_id, hypothesis_folder(config, hypothesis_id, root=where)


def hypothesis_folder(config: Config, hypothesis_id: str, *, root: Path | None = None) -> Path:
    """The one folder under the research folder named after the ID that holds a plan."""
    research = (root or config.root) / config.research_dir
    found = []
    if research.is_dir():
        found = sorted(
            p
            for p in research.iterdir()
            if id_from_name(p.name) == hypothesis_id and (p / PLAN_FILE).is_file()
        )
    if not found:
        raise UserError(
            f"{config.research_dir}/{hypothesis_id}-*/plan.qmd: no plan for {hypothesis_id} "
            f"(check the ID, check out its branch `{config.branch_prefix}{hypothesis_id}-…`, "
            "or create it with `rflow new-hypothesis`)"
        )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise UserError(
            f"{config.research_dir}/: {hypothesis_id} has several folders ({names}) "
            "(keep one and rename the others)"
        )
    return found[0]


def _id_from_branch(config: Config, root: Path) -> str:
    from researchflow.adapters.git import current_branch

    branch = current_branch(root) or "(detached HEAD)"
    prefix = config.branch_prefix
    found = id_from_branch(prefix, branch)
    if found is None:
        raise UserError(
            f"branch {branch} is not a hypothesis branch ({prefix}<ID>-<slug>): "
            "pass the hypothesis ID (e.g. H-007) or switch to its branch"
        )
    return found


def plan_path(folder: Path) -> Path:
    return folder / PLAN_FILE


def read_plan_file(path: Path, config: Config) -> PlanResult:
    """Read and validate a plan file; an unreadable file is a UserError naming it."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UserError(
            f"{shown_path(path)}: cannot be read: {error.strerror} (check the path)"
        ) from None
    return read_plan(raw, shown_path(path), config.sections)


def require_valid(result: PlanResult) -> tuple[Plan, Document]:
    """The plan and its document, or a UserError quoting the first problem."""
    if result.problems or result.plan is None or result.document is None:
        first = result.problems[0] if result.problems else "the plan cannot be read"
        more = len(result.problems) - 1
        extra = f" ({more} more: run `rflow validate`)" if more > 0 else ""
        raise UserError(f"{first}{extra}")
    return result.plan, result.document


@frozen
class OpenedPlan:
    id: str
    folder: Path
    path: Path
    plan: Plan
    document: Document


def open_plan(config: Config, hypothesis_id: str | None) -> OpenedPlan:
    """The hypothesis (default: the branch's), its plan file and the plan: valid, or a
    UserError quoting its first problem."""
    found_id, folder = resolve_hypothesis(config, hypothesis_id)
    path = plan_path(folder)
    plan, document = require_valid(read_plan_file(path, config))
    return OpenedPlan(found_id, folder, path, plan, document)


def utc_now() -> str:
    """Now, ISO-8601 UTC to the second with a Z: how approvals and deviations are stamped."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_plan_text(path: Path, text: str, config: Config) -> None:
    """Refuse an edit that would leave the plan invalid (a guard on the text editing)."""
    after = read_plan(text, shown_path(path), config.sections)
    if after.problems:
        raise UserError(f"{after.problems[0]} (the plan was left unchanged)")


def write_plan_checked(path: Path, text: str, config: Config) -> None:
    """Write the edited plan only if it still reads as a valid plan: never a broken file."""
    check_plan_text(path, text, config)
    write_atomic(path, text)


def registered_command(config: Config, hypothesis_id: str | None) -> tuple[str, ...]:
    """The plan's registered `command:` as argv: what `rflow run ID` runs with no command."""
    hypothesis, folder = resolve_hypothesis(config, hypothesis_id)
    result = read_plan_file(plan_path(folder), config)
    command = result.plan.command if result.plan is not None else ()
    if not command:
        shown = plan_path(folder).relative_to(config.root).as_posix()
        raise UserError(
            f"{shown}: command: {hypothesis} registers no command to run (add e.g. "
            "'command: python train.py' to the plan, or give one: rflow run ID -- CMD…)"
        )
    return command


def current_actor(config: Config) -> Actor:
    """The acting user as the role rules see them (see steproles.actor)."""
    from researchflow.adapters.git import acting_email, acting_user

    root = config.root
    return actor(acting_user(root), acting_email(root), config.people_map)
