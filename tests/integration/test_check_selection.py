"""`rflow check --changed`: the hypotheses a merge request touches, found with real git."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.gate_plans import write_plan
from support.git import git

from researchflow.base.errors import UserError
from researchflow.checks import selection
from researchflow.documents.config import load_config


@pytest.fixture
def research(repo: Path, tmp_path: Path) -> Path:
    """main with H-001 and H-002, pushed to a bare origin; then a branch for H-002."""
    write_plan(repo, "H-001", "one")
    write_plan(repo, "H-002", "two")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two plans")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "fetch", "-q", "origin")
    return repo


def ids(selected) -> list[str]:
    return [hypothesis for hypothesis, _ in selected]


def commit_change(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"change {relative}")


def test_changed_finds_the_hypotheses_whose_folder_the_branch_touches(research: Path) -> None:
    git(research, "checkout", "-q", "-b", "feature")
    commit_change(research, "research/H-002-two/notes.md", "new\n")
    commit_change(research, "src/model.py", "x = 1\n")
    assert ids(selection.changed(load_config(research), env={})) == ["H-002"]


def test_changed_adds_the_branchs_own_hypothesis(research: Path) -> None:
    git(research, "checkout", "-q", "-b", "hyp/H-001-one")
    commit_change(research, "research/H-002-two/notes.md", "new\n")
    assert ids(selection.changed(load_config(research), env={})) == ["H-001", "H-002"]


def test_changed_ignores_what_main_changed_after_the_branch_started(research: Path) -> None:
    git(research, "checkout", "-q", "-b", "feature")
    commit_change(research, "research/H-002-two/notes.md", "branch\n")
    git(research, "checkout", "-q", "main")
    commit_change(research, "research/H-001-one/notes.md", "main moved on\n")
    git(research, "push", "-q", "origin", "main")
    git(research, "checkout", "-q", "feature")
    assert ids(selection.changed(load_config(research), env={})) == ["H-002"]


def test_changed_uses_the_merge_request_diff_base_in_ci(research: Path) -> None:
    base = git(research, "rev-parse", "HEAD").strip()
    commit_change(research, "research/H-001-one/notes.md", "on main, after base\n")
    git(research, "checkout", "-q", "--detach")
    commit_change(research, "research/H-002-two/notes.md", "mr\n")
    env = {"CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_COMMIT_REF_NAME": "feature"}
    assert ids(selection.changed(load_config(research), env=env)) == ["H-001", "H-002"]


def test_changed_uses_the_target_branch_name_in_ci(research: Path) -> None:
    git(research, "branch", "develop")
    git(research, "push", "-q", "origin", "develop")
    git(research, "checkout", "-q", "-b", "feature")
    commit_change(research, "research/H-001-one/notes.md", "mr\n")
    env = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "develop"}
    assert ids(selection.changed(load_config(research), env=env)) == ["H-001"]


def test_changed_without_the_target_branch_says_to_fetch_it(research: Path) -> None:
    git(research, "checkout", "-q", "-b", "feature")
    env = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "release"}
    with pytest.raises(UserError, match=r"git fetch origin release"):
        selection.changed(load_config(research), env=env)


def test_changed_with_nothing_changed_selects_nothing(research: Path, rflow) -> None:
    git(research, "checkout", "-q", "-b", "feature")
    commit_change(research, "src/model.py", "x = 1\n")
    outcome = rflow("check", "--changed")
    assert outcome.code == 0, outcome.stderr
    assert "no hypothesis changed" in outcome.stdout


def test_unknown_id_is_a_usage_error_naming_the_folder(research: Path, rflow) -> None:
    outcome = rflow("check", "H-009")
    assert outcome.code == 2
    assert "H-009: no folder research/H-009-*/" in outcome.stderr


def test_no_id_off_a_hypothesis_branch_asks_for_one(research: Path, rflow) -> None:
    outcome = rflow("check")
    assert outcome.code == 2
    assert "--changed or --all" in outcome.stderr


def test_ids_and_all_together_are_refused(research: Path, rflow) -> None:
    outcome = rflow("check", "--all", "H-001")
    assert outcome.code == 2
    assert "not several" in outcome.stderr


@pytest.mark.parametrize(
    "slug",
    ["with spaces", "кириллица", "café-à-la-carte", "rocket-🚀", 'quote"and\\back'],
    ids=["spaces", "cyrillic", "accents", "emoji", "quote-backslash"],
)
def test_changed_finds_a_folder_whose_name_git_would_quote(
    research: Path, rflow, slug: str
) -> None:
    git(research, "config", "core.quotepath", "true")  # git's default, stated
    git(research, "checkout", "-q", "-b", "feature")
    write_plan(research, "H-003", slug)
    git(research, "add", "-A")
    git(research, "commit", "-qm", "a hypothesis in a folder git quotes")
    assert ids(selection.changed(load_config(research), env={})) == ["H-003"]
    outcome = rflow("check", "--changed", "--json")
    import json

    checked = {c["hypothesis"] for c in json.loads(outcome.stdout)["checks"]}
    assert "H-003" in checked, outcome.stdout
