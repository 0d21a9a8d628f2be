"""`rflow new-hypothesis`: an ID, a branch, a plan and a draft merge request; all or nothing.

The plan commit is built with git plumbing (a temporary index), so the working tree is
touched only by the final `git switch`. The ID is claimed on the remote by pushing, in one
atomic push, the branch and a reservation ref `refs/rflow/ids/<ID>` that must not exist
yet: two clones that picked the same number (even for different titles) cannot both
win, and the loser moves on to the next number.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from researchflow.adapters import git
from researchflow.adapters import gitlab as gl
from researchflow.base import names as id_names
from researchflow.base.errors import RflowError, UserError
from researchflow.base.fileio import require_space
from researchflow.base.frozen import frozen, replace
from researchflow.base.names import CONFIG_FILE, PLAN_FILE
from researchflow.base.output import attributes
from researchflow.documents.config import Config
from researchflow.documents.plan_rules import read_plan
from researchflow.documents.project import read_template
from researchflow.documents.scaffold import (
    Scaffold,
    TemplateError,
    merge_request_description,
    merge_request_title,
    render_plan,
    rice_option,
)
from researchflow.documents.statements import check_serves
from researchflow.process.backlog import Idea, find
from researchflow.process.id_claim import claim, claim_branch
from researchflow.process.intake import read_backlog_at
from researchflow.process.undo import Undo, holds, interrupt_safe

MAX_ATTEMPTS = 5


UNSCORED = (1, 1, 1, 1)


@frozen
class NewHypothesisResult:
    id: str
    title: str
    branch: str
    path: str
    base: str
    pushed: bool
    mr_url: str | None = None
    mr_action: str | None = None  # "created" | "updated" | "push options" | None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # e.g. the executor is already at the team's WIP limit
    unscored: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            **attributes(self, "id", "title", "branch", "path", "base", "pushed", "mr_url"),
            "mr": self.mr_action,
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    def to_text(self) -> str:
        lines = [f"{self.id}: {self.title}", f"  branch: {self.branch} (from {self.base})"]
        lines.append(f"  plan:   {self.path}")
        if self.mr_url:
            verb = "updated" if self.mr_action == "updated" else "opened"
            lines.append(f"  draft merge request {verb}: {self.mr_url}")
            lines += [f"  note: {note}" for note in self.notes]
        if self.unscored:
            lines.append(
                "  note: no --rice: scored 1,1,1,1 (the lowest) until you set rice in the plan"
            )
        lines += [f"  warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


def new_hypothesis(
    config: Config,
    title: str,
    *,
    rice: str | None = None,
    author: str | None = None,
    designer: str | None = None,
    executor: str | None = None,
    reviewers: tuple[str, ...] = (),
    serves: tuple[str, ...] = (),
    base: str | None = None,
    push: bool = True,
    today: dt.date | None = None,
) -> NewHypothesisResult:
    root = config.root
    git.require_repository(root)
    groomed_id = title.strip() if id_names.is_valid_id(title.strip()) else None
    clean = id_names.required_title(title, "hypothesis")
    serves = check_serves(config, serves)
    # unscored work must not outrank scored work: without --rice every factor is 1
    rice_values = rice_option(rice) if rice is not None else UNSCORED
    # grooming an idea: its author is the plan's author, not the person grooming it
    groomer_is_author = groomed_id is None or author is not None
    roles = _roles(root, author, designer, executor, reviewers) if groomer_is_author else {}
    template, template_name = _template(config)
    remote = config.gitlab.remote
    url = git.remote_url(root, remote)
    if push and url is None:
        raise UserError(
            f"no remote {remote!r} to push to (add one with `git remote add {remote} URL`, "
            "or use --no-push)"
        )
    # looked up before anything changes, so a bad token or an unknown project costs nothing
    project = gl.connect(root, remote, config.gitlab.url, config.gitlab.project) if push else None
    if push:
        git.fetch(root, remote)
    base_name, start = _base(config, remote, url, base or config.base_branch, online=push)
    if groomed_id is not None:  # grooming a backlog idea: its ID and what it says carry over
        idea = _groomed_idea(config, groomed_id, start, base_name, remote, push)
        clean = idea.title
        rice_values = (idea.rice.reach, idea.rice.impact, idea.rice.confidence, idea.rice.effort)
        serves = tuple(dict.fromkeys([*idea.serves, *serves]))
        if author is None:
            roles = _roles(root, idea.author, designer, executor, reviewers)
    require_space(root, "new-hypothesis")  # a full disk fails git half-way through
    original = git.current_branch(root)
    undo = Undo(
        root,
        remote,
        original or (git.rev_parse(root, "HEAD") or ""),
        detached=original is None,
    )
    undo.set_aside()
    with interrupt_safe(undo):
        created = _create(
            config,
            undo,
            title=clean,
            roles=roles,
            rice=rice_values,
            serves=serves,
            fixed_id=groomed_id,
            template=template,
            template_name=template_name,
            base_name=base_name,
            start=start,
            push=push,
            project=project,
            today=today or dt.date.today(),
        )
    warnings = tuple(_wip_warnings(config, roles.get("executor")))
    # a groomed idea carries its RICE: it is scored even without --rice
    unscored = rice is None and groomed_id is None
    return replace(created, unscored=unscored, warnings=warnings)


def _wip_warnings(config: Config, executor: str | None) -> list[str]:
    """Warn when the executor already runs as many hypotheses as the team's WIP limit."""
    if not executor:
        return []
    from researchflow.views.portfolio_reader import collect

    try:
        rows = collect(config).rows
    except RflowError:
        return []
    running = [r.id or "?" for r in rows if r.status == "running" and r.executor == executor]
    if len(running) < config.wip_limit:
        return []
    return [
        f"{executor} is already running {len(running)} hypotheses "
        f"({', '.join(running)}); the team's WIP limit is {config.wip_limit} (finish one, or "
        "pause it with `rflow hold`, before this one starts)"
    ]


def _create(
    config: Config,
    undo: Undo,
    *,
    title: str,
    roles: dict[str, Any],
    rice: tuple[int, int, int, int] | None,
    serves: tuple[str, ...],
    fixed_id: str | None,
    template: str,
    template_name: str,
    base_name: str,
    start: str,
    push: bool,
    project: gl.GitlabProject | None,
    today: dt.date,
) -> NewHypothesisResult:
    root, remote = config.root, undo.remote
    taken: set[str] = set()
    for _attempt in range(MAX_ATTEMPTS):
        hypothesis_id = fixed_id or id_names.next_id(
            _known_names(config, start, remote, push), taken
        )
        slug = id_names.slugify(title)
        branch = id_names.branch_name(config.branch_prefix, hypothesis_id, slug)
        problem = id_names.branch_problem(branch)
        if problem:
            raise UserError(
                f"{config.source or CONFIG_FILE}: branch_prefix: "
                f"{config.branch_prefix!r} makes {branch!r} an invalid branch name ({problem})"
            )
        path = f"{config.research_dir}/{id_names.folder_name(hypothesis_id, slug)}/{PLAN_FILE}"
        scaffold = Scaffold(hypothesis_id, title, today, rice=rice, serves=serves, **roles)
        text = _plan_text(template, template_name, scaffold, path, config)
        message = (
            f"{hypothesis_id}: open hypothesis: {title}\n\n"
            f"Plan: {path}\nCreated with `rflow new-hypothesis`.\n"
        )
        sha = git.commit_files(root, start, {path: text}, message)
        # each undo step is recorded before its action: an interrupt between the two must
        # not leave the action behind (every undo step copes with a no-op)
        undo.local = (branch, sha)
        git.create_branch(root, branch, sha)
        undo.switched = True
        undo.plan = (root / path, text)
        git.switch(root, branch)
        if not holds(root / path, text):  # git can report success with a file unwritten
            raise UserError(
                f"{path}: could not be written (is the disk full?) (free some space, then run "
                "`rflow new-hypothesis` again)"
            )
        opened = functools.partial(
            NewHypothesisResult, hypothesis_id, title, branch, path, base_name
        )
        if not push:
            return opened(
                pushed=False,
                notes=(f"not pushed (--no-push); later: git push -u {remote} {branch}",),
            )
        description = merge_request_description(
            hypothesis_id=hypothesis_id,
            title=title,
            plan_path=path,
            author=roles["author"],
            reviewers=roles["reviewers"],
            rice=_front_matter_rice(text),
            hypothesis=_front_matter(text).get("hypothesis"),
        )
        mr_title = merge_request_title(hypothesis_id, title)
        options = (
            None
            if project is not None
            else gl.merge_request_push_options(
                target=base_name, title=mr_title, description=description
            )
        )
        notes: list[str] = []
        if fixed_id is not None:  # the idea reserved the ID already: claim the branch only
            pushed = claim_branch(root, remote, sha, branch, options, undo)
            if pushed is None:
                raise UserError(
                    f"{fixed_id}: someone else groomed it meanwhile ({branch} exists on "
                    f"{remote}; fetch and check it out instead)"
                )
        else:
            pushed = claim(root, remote, sha, branch, hypothesis_id, options, undo, notes)
        if pushed is None:  # someone else got this ID first: try the next one
            undo.run()
            taken.add(hypothesis_id)
            continue
        if project is not None:
            mr = gl.ensure_draft_merge_request(
                project,
                source_branch=branch,
                target_branch=base_name,
                title=mr_title,
                description=description,
            )
            if mr.created:
                undo.merge_request = (project, mr.iid)
            mr_url: str | None = mr.web_url
            action = "created" if mr.created else "updated"
        else:
            mr_url, action = pushed.merge_request_url, "push options"
            if not pushed.options_sent:
                notes.append(f"{remote} does not accept push options: open the MR by hand")
            elif mr_url is None:
                notes.append(f"{remote} sent no merge-request link back (is it GitLab?)")
        _set_upstream(root, remote, branch)
        return opened(
            pushed=True,
            mr_url=mr_url,
            mr_action=action,
            notes=tuple(notes),
        )
    raise UserError(
        f"no free hypothesis ID after {MAX_ATTEMPTS} tries: others keep taking them "
        f"(last tried: {', '.join(sorted(taken))}); rerun in a moment"
    )


def _groomed_idea(
    config: Config, idea_id: str, start: str, base: str, remote: str, online: bool
) -> Idea:
    """The backlog idea to groom; refused when it is not there or already has a branch."""
    idea = find(read_backlog_at(config, start), idea_id)
    if idea is None:
        raise UserError(
            f"{config.research_dir}/backlog.yaml: {idea_id} is not an idea on {base} (add it "
            "with `rflow idea TITLE --rice R,I,C,E`, or give new-hypothesis a title)"
        )
    for name in _known_names(config, start, remote, online):
        leaf = name.rsplit("/", 1)[-1]
        # the idea itself (its backlog entry, its reservation) is not a groomed branch
        if name == idea_id or name.startswith(git.RESERVATION_NAMESPACE):
            continue
        if id_names.id_from_name(leaf) == idea_id:
            raise UserError(f"{idea_id}: already groomed ({name}); check out its branch instead")
    if idea.state != "open":
        raise UserError(
            f"{config.research_dir}/backlog.yaml: {idea_id} is {idea.state} (resume it with "
            f"`rflow backlog resume {idea_id} --reason …` before grooming it)"
        )
    return idea


def _roles(
    root: Path,
    author: str | None,
    designer: str | None,
    executor: str | None,
    reviewers: tuple[str, ...],
) -> dict[str, Any]:
    def name(option: str, value: str) -> str:
        cleaned = id_names.clean_title(value)
        if not cleaned:
            raise UserError(f"{option}: is empty (give a name, e.g. {option} alice)")
        return cleaned

    who = name("--author", author) if author is not None else git.acting_user(root)
    people = tuple(dict.fromkeys(name("--reviewer", r) for r in reviewers))
    if who in people:
        raise UserError(
            f"--reviewer: {who} is the author and cannot review their own plan "
            "(name another reviewer)"
        )
    doer = name("--executor", executor) if executor is not None else None
    if doer == who:
        raise UserError(
            f"--executor: {who} is also the author (name another executor, or leave it out "
            "and say why in roles.reason of the plan)"
        )
    return {
        "author": who,
        "designer": name("--designer", designer) if designer is not None else None,
        "executor": doer,
        "reviewers": people,
    }


def _template(config: Config) -> tuple[str, str]:
    """The repository's override in templates_dir wins over the built-in template."""
    return read_template(config, PLAN_FILE)


def _plan_text(
    template: str, template_name: str, scaffold: Scaffold, path: str, config: Config
) -> str:
    try:
        text = render_plan(template, scaffold)
    except TemplateError as error:
        raise UserError(f"{template_name}: {error}") from None
    problems = read_plan(text, path, config.sections).problems
    if problems:
        first = problems[0]
        more = f", and {len(problems) - 1} more problems" if len(problems) > 1 else ""
        raise UserError(
            f"{template_name}:{first.line}: {first.field}: {first.message} "
            f"({first.fix or 'fix the template'}; the new plan would not validate{more})"
        )
    return text


def _front_matter(text: str) -> dict[str, Any]:
    from researchflow.documents.document import parse_document

    return parse_document(text).front_matter


def _front_matter_rice(text: str) -> dict[str, int] | None:
    rice = _front_matter(text).get("rice")
    return rice if isinstance(rice, dict) else None


def _base(
    config: Config, remote: str, url: str | None, wanted: str | None, *, online: bool
) -> tuple[str, str]:
    from researchflow.process.intake import base_start

    return base_start(config, remote, url, wanted, online=online)


def _known_names(config: Config, start: str, remote: str, online: bool) -> list[str]:
    from researchflow.process.intake import known_names

    return known_names(config, start, remote, online)


def _set_upstream(root: Path, remote: str, branch: str) -> None:
    """So a plain `git push` later goes to the right place; harmless if it cannot."""
    git.git(root, "branch", "--quiet", f"--set-upstream-to={remote}/{branch}", branch, check=False)
