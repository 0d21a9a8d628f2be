"""The portfolio reader: every hypothesis on every branch, read from git objects in one
pass without checking anything out (`rflow status`, `rank` and `board` share it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from researchflow import __version__
from researchflow.adapters import statecache
from researchflow.adapters.gitobjects import (
    GitObject,
    ObjectReader,
    Ref,
    default_branch_refs,
    list_refs,
    parse_tree,
    remote_head,
)
from researchflow.config import Config
from researchflow.errors import UserError
from researchflow.naming import id_from_name
from researchflow.portfolio import MEMO_FORMAT, PlanSource, Portfolio, build_portfolio
from researchflow.project import PLAN_FILE, RUNS_FILE, default_branch_names


def hypothesis_branches(refs: Iterable[Ref], prefix: str, remote: str) -> list[Ref]:
    """One ref per hypothesis branch: the local branch over its remote-tracking copies,
    then the configured remote over others."""
    chosen: dict[str, Ref] = {}

    def preference(ref: Ref) -> tuple[int, str]:
        if ref.remote is None:
            return (0, "")
        return (1 if ref.remote == remote else 2, ref.remote)

    for ref in refs:
        branch = ref.branch
        if ref.symref or not branch.startswith(prefix) or branch == prefix:
            continue
        if branch not in chosen or preference(ref) < preference(chosen[branch]):
            chosen[branch] = ref
    return [chosen[name] for name in sorted(chosen)]


def gather(config: Config) -> list[PlanSource]:
    """Plans and runs logs of every hypothesis branch, plus the merged ones on the default
    branch, read through one `git cat-file --batch` process."""
    root, prefix, remote = config.root, config.branch_prefix, config.gitlab.remote
    research = config.research_dir.strip("/")
    refs = list_refs(root, prefix, remote=remote, base=config.base_branch)
    branches = hypothesis_branches(refs, prefix, remote)
    names = default_branch_names(config.base_branch, remote_head(refs, remote))
    defaults = default_branch_refs(refs, names, remote=remote)

    with ObjectReader(root) as reader:
        # pass 1: each branch's own folder, and the default branch's research folder
        names: list[str] = []
        for ref in branches:
            folder = ref.branch[len(prefix) :]
            names += _files(ref, research, folder)
        names += [f"{ref.commit}:{research}" for ref in defaults]
        answers = reader.read_many(names)
        found: dict[str, PlanSource] = {}
        lost: list[Ref] = []
        for index, ref in enumerate(branches):
            pair = answers[2 * index : 2 * index + 2]
            if pair[0] is None:
                lost.append(ref)
                continue
            found[ref.branch] = _source(research, ref.branch[len(prefix) :], pair, ref.shown)
        default_trees = answers[2 * len(branches) :]

        # pass 2: branches whose folder is named differently, and merged hypotheses
        branch_ids = {id_from_name(ref.branch[len(prefix) :]) for ref in branches} - {None}
        merged = _merged_folders(default_trees, defaults, branch_ids)
        names = [f"{ref.commit}:{research}" for ref in lost]
        for ref, folder in merged:
            names += _files(ref, research, folder)
        answers = reader.read_many(names)
        lost_trees, merged_files = answers[: len(lost)], answers[len(lost) :]
        sources = [
            _source(research, folder, merged_files[2 * i : 2 * i + 2], ref.shown, merged=True)
            for i, (ref, folder) in enumerate(merged)
        ]

        # pass 3: the renamed folders found in pass 2
        renamed = _renamed_folders(lost, lost_trees, prefix)
        names = []
        for ref, folder in renamed:
            names += _files(ref, research, folder)
        answers = reader.read_many(names)
        for i, (ref, folder) in enumerate(renamed):
            found[ref.branch] = _source(research, folder, answers[2 * i : 2 * i + 2], ref.shown)

    for ref in lost:
        if ref.branch not in found:
            folder = ref.branch[len(prefix) :]
            found[ref.branch] = _source(research, folder, [None, None], ref.shown)
    return [*(found[name] for name in sorted(found)), *sources]


def _files(ref: Ref, research: str, folder: str) -> list[str]:
    return [
        f"{ref.commit}:{research}/{folder}/{PLAN_FILE}",
        f"{ref.commit}:{research}/{folder}/{RUNS_FILE}",
    ]


def _source(
    research: str,
    folder: str,
    pair: list[GitObject | None],
    branch: str,
    *,
    merged: bool = False,
) -> PlanSource:
    plan, runs = pair
    return PlanSource(
        folder=folder,
        path=f"{research}/{folder}/{PLAN_FILE}",
        plan=plan.data if plan is not None and plan.type == "blob" else None,
        runs=runs.data if runs is not None and runs.type == "blob" else None,
        branch=branch,
        merged=merged,
        plan_oid=plan.oid if plan is not None else "",
        runs_oid=runs.oid if runs is not None else "",
    )


def _folders(tree: GitObject | None) -> list[str]:
    if tree is None or tree.type != "tree":
        return []
    return [entry.name for entry in parse_tree(tree.data, len(tree.oid) // 2) if entry.is_tree]


def _merged_folders(
    trees: list[GitObject | None], defaults: list[Ref], branch_ids: set[str | None]
) -> list[tuple[Ref, str]]:
    """(commit, folder) of hypotheses on the default branch that have no branch of their own;
    the local default branch wins over its remote-tracking copy."""
    seen: set[str] = set()
    result: list[tuple[Ref, str]] = []
    for ref, tree in zip(defaults, trees, strict=True):
        for folder in _folders(tree):
            hypothesis_id = id_from_name(folder)
            if hypothesis_id is None or hypothesis_id in branch_ids or folder in seen:
                continue
            seen.add(folder)
            result.append((ref, folder))
    return result


def _renamed_folders(
    lost: list[Ref], trees: list[GitObject | None], prefix: str
) -> list[tuple[Ref, str]]:
    """For branches without `<research>/<branch leaf>/`, the folder with the same ID."""
    result: list[tuple[Ref, str]] = []
    for ref, tree in zip(lost, trees, strict=True):
        wanted = id_from_name(ref.branch[len(prefix) :])
        if wanted is None:
            continue
        match = next((f for f in _folders(tree) if id_from_name(f) == wanted), None)
        if match is not None:
            result.append((ref, match))
    return result


def collect(config: Config, today: dt.date | None = None) -> Portfolio:
    from researchflow.adapters.git import require_repository

    if not config.branch_prefix.strip():
        raise UserError("branch_prefix: must not be empty (set it to e.g. 'hyp/')")
    require_repository(config.root)
    sources = gather(config)
    memo_path = config.state_path / "cache" / "portfolio.json"
    fingerprint = f"{MEMO_FORMAT}:{__version__}:{config.sections!r}"
    known = statecache.load(memo_path, fingerprint)
    portfolio = build_portfolio(sources, config.sections, today or dt.date.today(), known)
    # .rflow/ is git-ignored once `rflow init` ran; never litter a repository that has not
    if portfolio.memo != known and (config.state_path.is_dir() or config.source is not None):
        statecache.save(memo_path, fingerprint, portfolio.memo)
    return portfolio
