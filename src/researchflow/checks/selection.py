"""Which hypotheses a check covers: named IDs, all of them, the current branch's, or the
ones a merge request touches (`--changed`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from researchflow.adapters import git as gitrepo
from researchflow.adapters.git import diff_paths
from researchflow.base.errors import UserError
from researchflow.base.names import (
    CI_COMMIT_REF_NAME,
    CI_MERGE_REQUEST_SOURCE,
    PLAN_FILE,
    id_from_branch,
    id_from_name,
    id_number,
    is_valid_id,
)
from researchflow.documents.config import Config
from researchflow.documents.project import merge_base

Selected = list[tuple[str, Path]]  # (hypothesis id, its folder)


def all_hypotheses(config: Config) -> Selected:
    research = config.research_path
    found = []
    if research.is_dir():
        for folder in sorted(research.iterdir()):
            hypothesis = id_from_name(folder.name)
            if folder.is_dir() and hypothesis is not None:
                found.append((hypothesis, folder))
    return sorted(found, key=lambda item: (id_number(item[0]), item[1].name))


def by_ids(config: Config, ids: list[str]) -> Selected:
    known = dict(all_hypotheses(config))
    selected: Selected = []
    for hypothesis in ids:
        if not is_valid_id(hypothesis):
            raise UserError(f"{hypothesis!r} is not a hypothesis ID (use H- and 3+ digits)")
        if hypothesis not in known:
            raise UserError(
                f"{hypothesis}: no folder {config.research_dir}/{hypothesis}-*/ "
                "(check the ID, or switch to the branch that has it)"
            )
        if (hypothesis, known[hypothesis]) not in selected:
            selected.append((hypothesis, known[hypothesis]))
    return selected


def current_branch(root: Path, env: Mapping[str, str]) -> str | None:
    """The branch being checked: in a CI merge-request pipeline HEAD is detached."""
    for name in (CI_MERGE_REQUEST_SOURCE, CI_COMMIT_REF_NAME):
        if env.get(name):
            return env[name]
    return gitrepo.current_branch(root)


def branch_hypothesis(config: Config, branch: str | None) -> str | None:
    """`hyp/H-007-graded-target` → `H-007`; None for other branches."""
    return id_from_branch(config.branch_prefix, branch)


def current(config: Config, env: Mapping[str, str] | None = None) -> Selected:
    env = os.environ if env is None else env
    hypothesis = branch_hypothesis(config, current_branch(config.root, env))
    if hypothesis is None:
        raise UserError(
            "this branch belongs to no hypothesis "
            "(name IDs, e.g. `rflow check H-007`, or use --changed or --all)"
        )
    return by_ids(config, [hypothesis])


def changed(config: Config, env: Mapping[str, str] | None = None) -> Selected:
    """Hypotheses whose folder differs between the merge base and HEAD, plus the branch's."""
    env = os.environ if env is None else env
    return changed_since(config, config, merge_base(config, env), env)


def changed_since(source: Config, target: Config, base: str, env: Mapping[str, str]) -> Selected:
    """Every hypothesis with files changed since `base` under the target's or the source's
    research folder, plus the branch's own, with its folder in this checkout."""
    ids = changed_under(target, base, [target.research_dir, source.research_dir])
    own = branch_hypothesis(target, current_branch(target.root, env))
    if own and own not in ids:
        ids.append(own)
    known = dict(all_hypotheses(source))
    known.update(all_hypotheses(target))
    # a hypothesis folder the merge request deletes has nothing left to check
    return sorted(((h, known[h]) for h in ids if h in known), key=lambda item: id_number(item[0]))


def changed_under(config: Config, base: str, research_dirs: list[str]) -> list[str]:
    """Hypothesis IDs with files changed between `base` and HEAD under any of the folders."""
    ids: list[str] = []
    for research in dict.fromkeys(d.strip("/") for d in research_dirs):
        for name in diff_paths(config.root, base, "HEAD", research):
            if not name.startswith(f"{research}/"):
                continue
            parts = name[len(research) + 1 :].split("/")
            if len(parts) >= 2:
                hypothesis = id_from_name(parts[0])
                if hypothesis and hypothesis not in ids:
                    ids.append(hypothesis)
    return ids


def moved_folders(config: Config, base: str, research: str) -> list[str]:
    """Hypothesis folders whose plan the merge request removes from the target's research
    folder: moved, renamed or deleted (one `git diff`)."""
    research = research.strip("/")
    gone = []
    for name in diff_paths(config.root, base, "HEAD", research, diff_filter="D"):
        parts = name[len(research) + 1 :].split("/") if name.startswith(f"{research}/") else []
        if len(parts) == 2 and parts[1] == PLAN_FILE and id_from_name(parts[0]):
            gone.append(f"{research}/{parts[0]}")
    return gone


def folders_without_id(config: Config, base: str, research_dirs: list[str]) -> list[str]:
    """Folders under the research folders, changed since `base`, whose name has no ID."""
    found: list[str] = []
    for research in dict.fromkeys(d.strip("/") for d in research_dirs):
        for name in diff_paths(config.root, base, "HEAD", research):
            parts = name[len(research) + 1 :].split("/") if name.startswith(f"{research}/") else []
            if len(parts) >= 2 and id_from_name(parts[0]) is None:
                folder = f"{research}/{parts[0]}"
                if folder not in found:
                    found.append(folder)
    return found
