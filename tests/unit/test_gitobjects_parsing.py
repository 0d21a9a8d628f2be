"""Ref names and raw tree objects, as the batched reader sees them (pure parts)."""

from __future__ import annotations

import pytest

from researchflow.adapters.gitobjects import Ref, default_branch_refs, parse_tree, remote_head
from researchflow.documents.project import default_branch_names


@pytest.mark.parametrize(
    ("refname", "branch", "shown", "remote"),
    [
        ("refs/heads/hyp/H-001-a", "hyp/H-001-a", "hyp/H-001-a", None),
        ("refs/remotes/origin/hyp/H-001-a", "hyp/H-001-a", "origin/hyp/H-001-a", "origin"),
        ("refs/remotes/fork/main", "main", "fork/main", "fork"),
    ],
)
def test_ref_names(refname: str, branch: str, shown: str, remote: str | None) -> None:
    ref = Ref(refname, "0" * 40)
    assert (ref.branch, ref.shown, ref.remote) == (branch, shown, remote)


def test_default_branch_follows_origin_head_before_main() -> None:
    refs = [
        Ref("refs/heads/main", "a" * 40),
        Ref("refs/heads/trunk", "b" * 40),
        Ref("refs/remotes/origin/HEAD", "b" * 40, "refs/remotes/origin/trunk"),
        Ref("refs/remotes/origin/trunk", "c" * 40),
    ]
    found = default_branch_refs(refs, default_branch_names(None, remote_head(refs)))
    assert [ref.refname for ref in found] == ["refs/heads/trunk", "refs/remotes/origin/trunk"]


def test_configured_base_branch_wins() -> None:
    refs = [Ref("refs/heads/main", "a" * 40), Ref("refs/heads/develop", "b" * 40)]
    found = default_branch_refs(refs, default_branch_names("develop", None))
    assert [r.branch for r in found] == ["develop"]


def test_no_default_branch_found_is_empty() -> None:
    assert default_branch_refs([Ref("refs/heads/hyp/H-001-a", "a" * 40)], ["main", "master"]) == []


def test_raw_tree_entries_are_parsed() -> None:
    oid = bytes(range(20))
    raw = b"40000 H-001-a\0" + oid + b"100644 README.md\0" + oid + "40000 H-002-é\0".encode() + oid
    entries = parse_tree(raw, 20)
    assert [(e.name, e.is_tree) for e in entries] == [
        ("H-001-a", True),
        ("README.md", False),
        ("H-002-é", True),
    ]
