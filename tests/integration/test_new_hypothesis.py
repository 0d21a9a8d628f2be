"""`rflow new-hypothesis` against real repositories and a real bare origin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.git_remote import ClonedRepo, make_bare_remote
from support.git import git

from researchflow.documents.document import parse_document

CLONE_REFS = ["main", "origin/HEAD", "origin/main"]


def local_branches(root: Path) -> list[str]:
    return git(root, "for-each-ref", "--format=%(refname:short)", "refs/").split()


def current(root: Path) -> str:
    return git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()


def assert_left_as_it_was(repo: ClonedRepo, refs_before: list[str], branch: str = "main") -> None:
    """The promise on failure: same branch, same refs here and there, no new files."""
    assert current(repo.root) == branch
    assert local_branches(repo.root) == refs_before
    assert git(repo.root, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (repo.root / "research").exists()
    assert sorted(repo.origin.refs()) == ["refs/heads/main"]


def option_values(options: list[str]) -> dict[str, str]:
    return dict(option.split("=", 1) if "=" in option else (option, "") for option in options)


def test_new_hypothesis_pushes_the_branch_and_asks_for_a_draft_mr(
    cloned_repo: ClonedRepo, rflow
) -> None:
    outcome = rflow(
        "new-hypothesis",
        "Graded target improves recall",
        "--rice",
        "3,3,2,3",
        "--reviewer",
        "dave",
        "--json",
    )
    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["id"] == "H-001"
    assert result["branch"] == "hyp/H-001-graded-target-improves-recall"
    assert result["path"] == "research/H-001-graded-target-improves-recall/plan.qmd"

    root, origin = cloned_repo.root, cloned_repo.origin
    assert current(root) == result["branch"]
    assert origin.branches() == ["hyp/H-001-graded-target-improves-recall", "main"]
    plan = parse_document(origin.show(result["branch"], result["path"])).front_matter
    assert plan["id"] == "H-001"
    assert plan["status"] == "draft"
    assert plan["roles"]["author"] == "Alice Author"  # the acting user: git's user.name
    assert plan["roles"]["reviewers"] == ["dave"]
    assert plan["rice"] == {"reach": 3, "impact": 3, "confidence": 2, "effort": 3}

    (options,) = [o for o in origin.push_options() if o]
    values = option_values(options)
    assert "merge_request.create" in values and "merge_request.draft" in values
    assert values["merge_request.target"] == "main"
    assert values["merge_request.title"] == "Draft: H-001 Graded target improves recall"
    description = values["merge_request.description"]
    assert "\n" not in description
    decoded = description.replace("\\n", "\n")
    assert decoded.splitlines()[0] == "**H-001: Graded target improves recall**"
    assert "- [ ] The hypothesis is one falsifiable sentence" in decoded
    assert f"- Plan: `{result['path']}`" in decoded
    assert "3 × 3 × 2 × 3 = 54" in decoded


def test_the_commit_holds_only_the_plan_and_says_what_it_is(cloned_repo: ClonedRepo, rflow) -> None:
    assert rflow("new-hypothesis", "Sessions predict churn").code == 0
    root = cloned_repo.root
    files = git(root, "show", "--name-only", "--format=%s", "HEAD").split("\n")
    assert files[0] == "H-001: open hypothesis: Sessions predict churn"
    assert [f for f in files[1:] if f] == ["research/H-001-sessions-predict-churn/plan.qmd"]
    assert git(root, "rev-parse", "HEAD~1") == git(root, "rev-parse", "origin/main")
    assert git(root, "rev-parse", "--abbrev-ref", "@{upstream}").strip() == (
        "origin/hyp/H-001-sessions-predict-churn"
    )


def test_id_is_one_more_than_any_branch_folder_or_remote_branch(
    cloned_repo: ClonedRepo, tmp_path: Path, rflow
) -> None:
    root, origin = cloned_repo.root, cloned_repo.origin
    other = origin.clone(tmp_path / "colleague")
    git(other, "push", "--quiet", "origin", "main:refs/heads/hyp/H-009-colleague")
    git(root, "branch", "hyp/H-004-mine")
    (root / "research" / "H-006-merged-long-ago").mkdir(parents=True)
    (root / "research" / "H-006-merged-long-ago" / "plan.qmd").write_text("x", encoding="utf-8")
    git(root, "add", "research")
    git(root, "commit", "--quiet", "-m", "an old hypothesis")

    outcome = rflow("new-hypothesis", "Next one", "--json")

    assert outcome.code == 0, outcome.stderr
    assert json.loads(outcome.stdout)["id"] == "H-010"  # H-009 only on the remote


def test_ids_of_merged_and_deleted_branches_are_not_reused(cloned_repo: ClonedRepo, rflow) -> None:
    assert rflow("new-hypothesis", "First").code == 0
    root = cloned_repo.root
    git(root, "switch", "--quiet", "main")
    git(root, "branch", "--quiet", "-D", "hyp/H-001-first")
    git(root, "push", "--quiet", "origin", "--delete", "hyp/H-001-first")

    outcome = rflow("new-hypothesis", "Second", "--json")

    assert json.loads(outcome.stdout)["id"] == "H-002"  # the reservation outlives the branch


def test_no_push_works_without_a_remote(repo: Path, rflow) -> None:
    outcome = rflow("new-hypothesis", "Offline idea", "--no-push", "--json")
    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["pushed"] is False and result["mr_url"] is None
    assert current(repo) == "hyp/H-001-offline-idea"
    assert (repo / "research/H-001-offline-idea/plan.qmd").is_file()
    assert rflow("validate").code == 0


def test_no_remote_is_refused_and_nothing_changes(repo: Path, rflow) -> None:
    outcome = rflow("new-hypothesis", "Needs a remote")
    assert outcome.code == 2
    assert "no remote 'origin'" in outcome.stderr and "--no-push" in outcome.stderr
    assert local_branches(repo) == ["main"]
    assert not (repo / "research").exists()


def test_push_rejected_by_the_remote_leaves_everything_as_it_was(
    cloned_repo: ClonedRepo, rflow
) -> None:
    before = local_branches(cloned_repo.root)
    cloned_repo.origin.reject_pushes("GitLab: You are not allowed to push code to this project.")

    outcome = rflow("new-hypothesis", "Rejected")

    assert outcome.code == 2
    assert "push to origin rejected" in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1
    assert_left_as_it_was(cloned_repo, before)


def test_unreachable_remote_is_exit_3_and_changes_nothing(cloned_repo: ClonedRepo, rflow) -> None:
    root = cloned_repo.root
    before = local_branches(root)
    git(root, "remote", "set-url", "origin", str(root.parent / "gone.git"))

    outcome = rflow("new-hypothesis", "Nowhere to go")

    assert outcome.code == 3, outcome.stderr
    assert "cannot reach remote 'origin'" in outcome.stderr
    assert current(root) == "main" and local_branches(root) == before


def test_user_starts_from_another_branch_and_gets_it_back_on_failure(
    cloned_repo: ClonedRepo, rflow
) -> None:
    root = cloned_repo.root
    git(root, "switch", "--quiet", "-c", "feature")
    (root / "notes.txt").write_text("work in progress\n", encoding="utf-8")
    before = local_branches(root)
    cloned_repo.origin.reject_pushes()

    assert rflow("new-hypothesis", "Rejected").code == 2

    assert current(root) == "feature"
    assert local_branches(root) == before
    assert (root / "notes.txt").read_text(encoding="utf-8") == "work in progress\n"


def test_base_is_the_remote_default_branch_unless_named(
    origin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rflow
) -> None:
    seed = origin.clone(tmp_path / "seed")
    git(seed, "switch", "--quiet", "-c", "develop")
    git(seed, "commit", "--quiet", "--allow-empty", "-m", "develop only")
    git(seed, "push", "--quiet", "origin", "develop")
    git(origin.path, "symbolic-ref", "HEAD", "refs/heads/develop")
    root = origin.clone(tmp_path / "work")
    monkeypatch.chdir(root)

    first = json.loads(rflow("new-hypothesis", "From default", "--json").stdout)
    git(root, "switch", "--quiet", "main")
    second = json.loads(rflow("new-hypothesis", "From main", "--base", "main", "--json").stdout)

    assert first["base"] == "develop" and second["base"] == "main"
    targets = [option_values(o)["merge_request.target"] for o in origin.push_options() if o]
    assert targets == ["develop", "main"]
    assert git(root, "log", "-1", "--format=%s", "HEAD~1").strip() == "initial commit"


def test_unknown_base_is_a_usage_error(cloned_repo: ClonedRepo, rflow) -> None:
    outcome = rflow("new-hypothesis", "X", "--base", "no-such-branch")
    assert outcome.code == 2
    assert "base branch 'no-such-branch' not found" in outcome.stderr
    assert_left_as_it_was(cloned_repo, CLONE_REFS)


def test_template_override_in_the_repository_wins(cloned_repo: ClonedRepo, rflow) -> None:
    root = cloned_repo.root
    template = (
        Path(__file__).resolve().parents[2] / "src/researchflow/templates/plan.qmd"
    ).read_text(encoding="utf-8")
    override = root / ".researchflow/templates/plan.qmd"
    override.parent.mkdir(parents=True)
    override.write_text(template.replace("## Risks", "## Risks\n\nOur team's risk list."), "utf-8")

    result = json.loads(rflow("new-hypothesis", "Overridden", "--no-push", "--json").stdout)

    assert "Our team's risk list." in (root / result["path"]).read_text(encoding="utf-8")


def test_a_template_that_gives_an_invalid_plan_is_refused(cloned_repo: ClonedRepo, rflow) -> None:
    root = cloned_repo.root
    override = root / ".researchflow/templates/plan.qmd"
    override.parent.mkdir(parents=True)
    override.write_text("---\nhypothesis: x\n---\n## Context\n", encoding="utf-8")

    outcome = rflow("new-hypothesis", "Broken template", "--no-push")

    assert outcome.code == 2
    assert outcome.stderr.startswith("rflow: .researchflow/templates/plan.qmd:")
    assert "predictions: missing" in outcome.stderr
    assert current(root) == "main"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rice", "3,3,9,3"], "--rice: '3,3,9,3' is not four whole numbers 1..5"),
        (["--reviewer", "Alice Author"], "--reviewer: Alice Author is the author"),
        (["--executor", "Alice Author"], "--executor: Alice Author is also the author"),
        (["--author", "  "], "--author: is empty"),
    ],
)
def test_bad_options_are_one_line_usage_errors(
    cloned_repo: ClonedRepo, rflow, args: list[str], message: str
) -> None:
    outcome = rflow("new-hypothesis", "Some title", *args)
    assert outcome.code == 2
    assert message in outcome.stderr
    assert_left_as_it_was(cloned_repo, CLONE_REFS)


def test_acting_user_from_rflow_user_is_the_author(
    cloned_repo: ClonedRepo, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RFLOW_USER", "bob")
    result = json.loads(rflow("new-hypothesis", "Bob's idea", "--no-push", "--json").stdout)
    plan = parse_document((cloned_repo.root / result["path"]).read_text("utf-8"))
    assert plan.front_matter["roles"]["author"] == "bob"


HOSTILE = "Гипотеза \"$(touch pwned)\"; `touch pwned2` 'q' ../../../tmp/evil\nrm -rf .."


def test_hostile_title_gives_a_safe_branch_folder_and_commit_and_runs_nothing(
    cloned_repo: ClonedRepo, rflow_process, tmp_path: Path
) -> None:
    root = cloned_repo.root
    outcome = rflow_process("new-hypothesis", HOSTILE, "--json", cwd=root)

    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    slug = "gipoteza-touch-pwned-touch-pwned2-q-tmp"
    assert result["branch"] == f"hyp/H-001-{slug}"
    assert result["path"] == f"research/H-001-{slug}/plan.qmd"
    git(root, "check-ref-format", "--branch", result["branch"])
    assert [p.relative_to(root).as_posix() for p in (root / "research").rglob("*")] == [
        f"research/H-001-{slug}",
        f"research/H-001-{slug}/plan.qmd",
    ]
    one_line = "Гипотеза \"$(touch pwned)\"; `touch pwned2` 'q' ../../../tmp/evil rm -rf .."
    plan = parse_document((root / result["path"]).read_text(encoding="utf-8"))
    assert plan.front_matter["title"] == one_line
    assert git(root, "log", "-1", "--format=%s").strip() == f"H-001: open hypothesis: {one_line}"
    (options,) = [o for o in cloned_repo.origin.push_options() if o]
    assert option_values(options)["merge_request.title"] == f"Draft: H-001 {one_line}"
    assert not list(tmp_path.rglob("pwned*"))
    assert not Path("/tmp/evil").exists()


def test_two_clones_allocating_at_the_same_moment_get_distinct_ids(tmp_path: Path) -> None:
    origin = make_bare_remote(tmp_path / "origin.git")
    clones = [origin.clone(tmp_path / name) for name in ("alice", "bob")]
    # Both pushes are held in the hook until both have arrived: each clone has already
    # picked its number, so they collide for certain, with different titles.
    origin.hold_pushes_until(2)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "researchflow", "new-hypothesis", title, "--json"],
            cwd=clone,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for clone, title in zip(clones, ("Alice's idea", "Bob's idea"), strict=True)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    ids = sorted(json.loads(out)["id"] for out, _ in outputs)
    assert ids == ["H-001", "H-002"]
    remote_ids = sorted(b.split("/")[1][:5] for b in origin.branches() if b.startswith("hyp/"))
    assert remote_ids == ["H-001", "H-002"]
    for clone, (out, _) in zip(clones, outputs, strict=True):
        result = json.loads(out)
        assert current(clone) == result["branch"]
        plan = parse_document((clone / result["path"]).read_text(encoding="utf-8"))
        assert plan.front_matter["id"] == result["id"]


def test_plain_remote_without_push_options_still_gets_the_branch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rflow
) -> None:
    origin = make_bare_remote(tmp_path / "origin.git")
    git(origin.path, "config", "receive.advertisePushOptions", "false")
    root = origin.clone(tmp_path / "work")
    monkeypatch.chdir(root)

    outcome = rflow("new-hypothesis", "Plain remote", "--json")

    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert "does not accept push options" in result["notes"][0]
    assert "hyp/H-001-plain-remote" in origin.branches()


def test_remote_refusing_reservation_refs_still_gets_the_branch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rflow
) -> None:
    origin = make_bare_remote(tmp_path / "origin.git")
    git(origin.path, "config", "receive.hideRefs", "refs/rflow")  # refused like a hidden ref
    root = origin.clone(tmp_path / "work")
    monkeypatch.chdir(root)

    outcome = rflow("new-hypothesis", "Strict server", "--json")

    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert "refused refs/rflow/ids/H-001" in result["notes"][0]
    assert sorted(origin.refs()) == ["refs/heads/hyp/H-001-strict-server", "refs/heads/main"]
    assert current(root) == "hyp/H-001-strict-server"


def test_no_push_with_base_starts_from_the_local_branch_with_its_unpushed_commits(
    cloned_repo: ClonedRepo, rflow
) -> None:
    root = cloned_repo.root
    git(root, "commit", "--quiet", "--allow-empty", "-m", "local work, not pushed")
    local = git(root, "rev-parse", "main").strip()

    outcome = rflow("new-hypothesis", "On my commits", "--no-push", "--base", "main", "--json")

    assert outcome.code == 0, outcome.stderr
    assert git(root, "rev-parse", "HEAD~1").strip() == local
