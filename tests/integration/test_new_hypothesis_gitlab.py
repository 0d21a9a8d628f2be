"""The GitLab REST path (GITLAB_TOKEN set), driven through python-gitlab against the local
fake of GitLab's documented endpoints, with a real bare origin for the git side."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.git_remote import ClonedRepo
from fixtures.gitlab_api import PROJECT_PATH, TOKEN, FakeGitlab
from support.git import git

from researchflow.adapters import gitlab as gl
from researchflow.base.errors import ServiceUnavailable, UserError

MR_POST = r"/merge_requests$"


def current(root: Path) -> str:
    return git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()


@pytest.fixture
def gitlab_repo(cloned_repo: ClonedRepo, gitlab_api: FakeGitlab) -> ClonedRepo:
    """A clone whose researchflow.yaml (on origin/main too) points at the fake GitLab."""
    root = cloned_repo.root
    (root / "researchflow.yaml").write_text(
        f"gitlab:\n  url: {gitlab_api.url}\n  project: {PROJECT_PATH}\n", encoding="utf-8"
    )
    git(root, "add", "researchflow.yaml")
    git(root, "commit", "--quiet", "-m", "point rflow at GitLab")
    git(root, "push", "--quiet", "origin", "main")
    return cloned_repo


def assert_nothing_left(repo: ClonedRepo) -> None:
    root = repo.root
    assert current(root) == "main"
    refs = git(root, "for-each-ref", "--format=%(refname)").split()
    assert refs == ["refs/heads/main", "refs/remotes/origin/HEAD", "refs/remotes/origin/main"]
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert not (root / "research").exists()
    assert sorted(repo.origin.refs()) == ["refs/heads/main"]


def test_token_opens_the_draft_merge_request_through_the_api(
    gitlab_repo: ClonedRepo, gitlab_api: FakeGitlab, rflow
) -> None:
    outcome = rflow("new-hypothesis", "Graded target", "--reviewer", "dave", "--json")

    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    (mr,) = gitlab_api.open_merge_requests()
    assert mr["title"] == "Draft: H-001 Graded target"
    assert mr["draft"] is True
    assert (mr["source_branch"], mr["target_branch"]) == ("hyp/H-001-graded-target", "main")
    assert "- [ ] The hypothesis is one falsifiable sentence" in mr["description"]
    assert "\n" in mr["description"]  # real newlines through the API
    assert result["mr_url"] == mr["web_url"] and result["mr"] == "created"
    # the API opened it, so the push carried no merge-request options (no duplicate)
    assert [o for o in gitlab_repo.origin.push_options() if o] == []
    assert "hyp/H-001-graded-target" in gitlab_repo.origin.branches()


def test_open_merge_request_for_the_branch_is_updated_not_duplicated(
    gitlab_repo: ClonedRepo, gitlab_api: FakeGitlab, rflow
) -> None:
    existing = gitlab_api.add_merge_request("hyp/H-001-graded-target", title="WIP by hand")

    outcome = rflow("new-hypothesis", "Graded target", "--json")

    assert outcome.code == 0, outcome.stderr
    (mr,) = gitlab_api.open_merge_requests()
    assert mr["iid"] == existing["iid"]
    assert mr["title"] == "Draft: H-001 Graded target" and mr["draft"] is True
    assert json.loads(outcome.stdout)["mr"] == "updated"
    assert gitlab_api.count("POST", MR_POST) == 0


def test_bad_token_is_a_clear_error_and_changes_nothing(
    gitlab_repo: ClonedRepo, gitlab_api: FakeGitlab, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-wrong-secret")

    outcome = rflow("new-hypothesis", "Graded target")

    assert outcome.code == 2
    assert "refused GITLAB_TOKEN (401)" in outcome.stderr
    assert "glpat-wrong-secret" not in outcome.stderr + outcome.stdout
    assert len(outcome.stderr.strip().splitlines()) == 1
    assert_nothing_left(gitlab_repo)


def test_gitlab_5xx_is_retried_then_exit_3_with_nothing_left_behind(
    gitlab_repo: ClonedRepo, gitlab_api: FakeGitlab, rflow
) -> None:
    gitlab_api.fail(503, method="POST", path=MR_POST)

    outcome = rflow("new-hypothesis", "Graded target")

    assert outcome.code == 3, outcome.stderr
    assert "answered 503 after retries" in outcome.stderr
    assert gitlab_api.count("POST", MR_POST) == 3  # RFLOW_HTTP_RETRIES
    assert gitlab_api.open_merge_requests() == []
    assert_nothing_left(gitlab_repo)  # the pushed branch and its reservation are gone too


def test_one_gitlab_hiccup_is_retried_and_the_mr_opens(
    gitlab_repo: ClonedRepo, gitlab_api: FakeGitlab, rflow
) -> None:
    gitlab_api.fail(502, method="POST", path=MR_POST, times=1)

    outcome = rflow("new-hypothesis", "Graded target")

    assert outcome.code == 0, outcome.stderr
    assert len(gitlab_api.open_merge_requests()) == 1


def test_gitlab_timeout_is_exit_3_with_nothing_left_behind(
    gitlab_repo: ClonedRepo, gitlab_api: FakeGitlab, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RFLOW_HTTP_TIMEOUT", "0.2")
    monkeypatch.setenv("RFLOW_HTTP_RETRIES", "2")
    gitlab_api.hold_requests("POST", MR_POST)

    outcome = rflow("new-hypothesis", "Graded target")

    assert outcome.code == 3, outcome.stderr
    assert "timed out after 2 tries" in outcome.stderr
    assert gitlab_api.count("POST", MR_POST) == 2
    assert_nothing_left(gitlab_repo)


def test_unknown_project_is_a_usage_error_naming_the_setting(
    gitlab_repo: ClonedRepo, gitlab_api: FakeGitlab, rflow
) -> None:
    root = gitlab_repo.root
    (root / "researchflow.yaml").write_text(
        f"gitlab:\n  url: {gitlab_api.url}\n  project: no/such\n", encoding="utf-8"
    )
    git(root, "commit", "--quiet", "-am", "wrong project")

    outcome = rflow("new-hypothesis", "Graded target")

    assert outcome.code == 2
    assert "project no/such not found (404)" in outcome.stderr
    assert "gitlab.project" in outcome.stderr


def test_ctrl_c_while_the_mr_is_being_opened_leaves_nothing_behind(
    gitlab_repo: ClonedRepo, gitlab_api: FakeGitlab
) -> None:
    gitlab_api.hold_requests("POST", MR_POST)
    process = subprocess.Popen(
        [sys.executable, "-m", "researchflow", "new-hypothesis", "Graded target"],
        cwd=gitlab_repo.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert gitlab_api.held.wait(timeout=30), "the MR request never arrived"
        # by now the branch and its reservation are on the remote
        assert "hyp/H-001-graded-target" in gitlab_repo.origin.branches()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    assert_nothing_left(gitlab_repo)


# --- the adapter as the gate uses it ----------------------------------------------------


@pytest.fixture
def project(gitlab_api: FakeGitlab) -> gl.GitlabProject:
    target = gl.GitlabTarget(gitlab_api.url, PROJECT_PATH)
    return gl.open_project(target, TOKEN, retry=gl.RetryPolicy(3, 0.01, 5))


def test_second_call_updates_the_merge_request_instead_of_opening_another(
    project: gl.GitlabProject, gitlab_api: FakeGitlab
) -> None:
    fields = {"source_branch": "hyp/H-001-x", "target_branch": "main", "description": "d"}
    first = gl.ensure_draft_merge_request(project, title="Draft: H-001 x", **fields)
    second = gl.ensure_draft_merge_request(project, title="Draft: H-001 better x", **fields)

    assert (first.created, second.created) == (True, False)
    assert first.iid == second.iid
    (mr,) = gitlab_api.open_merge_requests()
    assert mr["title"] == "Draft: H-001 better x"


def test_lost_race_to_create_ends_in_an_update(
    project: gl.GitlabProject, gitlab_api: FakeGitlab
) -> None:
    gitlab_api.add_merge_request("hyp/H-002-y", title="opened a moment ago")
    gitlab_api.hide_from_list = 1  # our first look misses it, so we try to create: 409

    mr = gl.ensure_draft_merge_request(
        project,
        source_branch="hyp/H-002-y",
        target_branch="main",
        title="Draft: H-002 y",
        description="d",
    )

    assert mr.created is False
    assert gitlab_api.count("POST", MR_POST) == 1
    assert [m["title"] for m in gitlab_api.open_merge_requests()] == ["Draft: H-002 y"]


def test_sticky_note_is_created_once_then_edited_in_place(
    project: gl.GitlabProject, gitlab_api: FakeGitlab
) -> None:
    iid = gitlab_api.add_merge_request("hyp/H-003-z", title="Draft: H-003 z")["iid"]
    gitlab_api.notes[iid].append({"id": 1, "body": "LGTM from a human", "system": False})

    first = gl.upsert_note(project, iid, "<!-- rflow:check -->", "2 checks failed")
    second = gl.upsert_note(project, iid, "<!-- rflow:check -->", "all checks passed")
    other = gl.upsert_note(project, iid, "<!-- rflow:other -->", "something else")

    assert first.created and not second.created and other.created
    assert first.id == second.id != other.id
    bodies = [note["body"] for note in gitlab_api.notes[iid]]
    assert bodies == [
        "LGTM from a human",
        "<!-- rflow:check -->\nall checks passed",
        "<!-- rflow:other -->\nsomething else",
    ]


def test_sticky_note_survives_a_5xx_and_gives_exit_3_when_gitlab_stays_down(
    project: gl.GitlabProject, gitlab_api: FakeGitlab
) -> None:
    iid = gitlab_api.add_merge_request("hyp/H-004-w", title="Draft: H-004 w")["iid"]
    gitlab_api.fail(500, method="POST", path=r"/notes$", times=1)
    assert gl.upsert_note(project, iid, "<!-- m -->", "body").created

    gitlab_api.fail(503, path=r"/notes")
    with pytest.raises(ServiceUnavailable, match="503"):
        gl.upsert_note(project, iid, "<!-- m -->", "body")


def test_bad_token_for_the_adapter_is_a_user_error(gitlab_api: FakeGitlab) -> None:
    target = gl.GitlabTarget(gitlab_api.url, PROJECT_PATH)
    with pytest.raises(UserError, match=r"refused GITLAB_TOKEN \(401\)"):
        gl.open_project(target, "nope", retry=gl.RetryPolicy(1, 0, 5))


def test_token_without_access_to_the_project_is_a_user_error(gitlab_api: FakeGitlab) -> None:
    gitlab_api.fail(403, method="GET", path=r"/projects/")
    target = gl.GitlabTarget(gitlab_api.url, PROJECT_PATH)
    with pytest.raises(UserError, match=r"refused GITLAB_TOKEN \(403\).*api scope"):
        gl.open_project(target, TOKEN, retry=gl.RetryPolicy(3, 0, 5))
    assert gitlab_api.count("GET", r"/projects/") == 1  # a refusal is not retried


def test_closing_a_merge_request(project: gl.GitlabProject, gitlab_api: FakeGitlab) -> None:
    iid = gitlab_api.add_merge_request("hyp/H-005-v", title="Draft: H-005 v")["iid"]
    gl.close_merge_request(project, iid)
    assert gitlab_api.merge_requests[iid]["state"] == "closed"


def test_unreachable_gitlab_is_service_unavailable() -> None:
    target = gl.GitlabTarget("http://127.0.0.1:9", PROJECT_PATH)  # discard port: refused
    with pytest.raises(ServiceUnavailable, match="connection failed after 2 tries"):
        gl.open_project(target, TOKEN, retry=gl.RetryPolicy(2, 0.01, 1))
