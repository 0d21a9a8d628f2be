"""`rflow new-hypothesis` on a full disk leaves no branch and no untracked plan (issue 11).

A real full disk: a small tmpfs (needs root to mount; skipped otherwise), filled to a
given number of free inodes or bytes, with a real git repository on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.small_disk import fill_bytes, fill_inodes
from support.git import git

from researchflow.base import fileio


def assert_nothing_left(root: Path, why: object = "") -> None:
    assert git(root, "branch", "--list", "hyp/*").strip() == "", why
    assert git(root, "status", "--porcelain", "--untracked-files=all").strip() == ""
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert not (root / "research").exists(), list((root / "research").rglob("*"))


@pytest.mark.parametrize("fill", ["inodes", "bytes"])
def test_new_hypothesis_on_a_full_disk_is_one_line_and_leaves_nothing(
    repo_on_small_disk: Path, small_disk: Path, rflow, fill: str
) -> None:
    if fill == "inodes":
        fill_inodes(small_disk, leave=12)
    else:
        fill_bytes(small_disk, leave=8 * 1024)
    outcome = rflow("new-hypothesis", "--no-push", "Full disk idea")
    assert outcome.code == 2, outcome
    (line,) = outcome.stderr.strip().splitlines()
    assert "the disk is full" in line and "rflow new-hypothesis" in line
    assert_nothing_left(repo_on_small_disk)


def test_a_disk_filling_up_half_way_is_undone_completely(
    repo_on_small_disk: Path, small_disk: Path, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the pre-flight (the disk fills while rflow works): at every point where git
    can fail for want of space, the undo removes the branch and the half-written plan."""
    monkeypatch.setattr(fileio, "MIN_FREE_BYTES", 0)
    monkeypatch.setattr(fileio, "MIN_FREE_INODES", 0)
    outcomes = []
    for leave in range(1, 80):
        fill_inodes(small_disk, leave)
        outcome = rflow("new-hypothesis", "--no-push", "Full disk idea")
        outcomes.append(outcome.code)
        if outcome.code == 0:
            break
        assert outcome.code == 2, outcome
        assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr
        assert "internal error" not in outcome.stderr
        assert_nothing_left(repo_on_small_disk, (leave, outcome.stderr))
    assert outcomes[-1] == 0 and 2 in outcomes  # it failed at first, then went through
    assert git(repo_on_small_disk, "status", "--porcelain").strip() == ""
