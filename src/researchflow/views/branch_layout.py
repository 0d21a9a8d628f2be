"""Which branches hold hypotheses, from one `git for-each-ref` (pure but for that call).

Its own small module so that `rflow status` can start the listing before it imports the
plan reader (cli/__init__.py): git lists the refs while Python loads the engine.
"""

from __future__ import annotations

from collections.abc import Iterable

from researchflow.adapters.git import Started, require_repository
from researchflow.adapters.gitobjects import (
    Ref,
    default_branch_refs,
    list_refs,
    remote_head,
    start_list_refs,
)
from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen
from researchflow.base.names import id_from_name
from researchflow.documents.config import Config
from researchflow.documents.project import default_branch_names


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


@frozen
class Layout:
    """The refs one `git for-each-ref` found: hypothesis branches and the default branch."""

    branches: tuple[Ref, ...]  # one per hypothesis branch, sorted by name
    defaults: tuple[Ref, ...]  # the default branch, local copy first
    branch_ids: frozenset[str | None]  # the hypothesis IDs that have a branch


def start_layout(config: Config) -> Started:
    """`layout`'s listing, started now and read when `layout(config, started)` needs it."""
    return start_list_refs(
        config.root, config.branch_prefix, remote=config.gitlab.remote, base=config.base_branch
    )


def layout(config: Config, started: Started | None = None) -> Layout:
    """The hypothesis branches and the default branch; UserError outside a repository."""
    prefix, remote = config.branch_prefix, config.gitlab.remote
    if not prefix.strip():
        if started is not None:
            started.cancel()
        raise UserError("branch_prefix: must not be empty (set it to e.g. 'hyp/')")
    try:
        refs = list_refs(
            config.root, prefix, remote=remote, base=config.base_branch, started=started
        )
    except UserError:
        require_repository(config.root)  # says so plainly when this is no repository at all
        raise
    branches = hypothesis_branches(refs, prefix, remote)
    candidates = default_branch_names(config.base_branch, remote_head(refs, remote))
    return Layout(
        tuple(branches),
        tuple(default_branch_refs(refs, candidates, remote=remote)),
        frozenset(id_from_name(ref.branch[len(prefix) :]) for ref in branches) - {None},
    )
