"""`rflow check --post-mr-note`: one sticky note on the merge request, through python-gitlab
against a local server answering as GitLab's notes endpoints do."""

from __future__ import annotations

from pathlib import Path

from fixtures.gate_plans import write_plan
from fixtures.gitlab_api import PROJECT_PATH
from support.git import git


def configure(repo: Path, url: str) -> None:
    (repo / "researchflow.yaml").write_text(
        f"gitlab:\n  url: {url}\n  project: {PROJECT_PATH}\n", encoding="utf-8"
    )
    write_plan(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")


def test_the_summary_is_posted_once_and_then_updated(repo: Path, gitlab_api, rflow, monkeypatch):
    configure(repo, gitlab_api.url)
    iid = gitlab_api.add_merge_request("hyp/H-001-graded")["iid"]
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", str(iid))
    plan = repo / "research" / "H-001-graded" / "plan.qmd"
    plan.write_text(plan.read_text().replace("The toy data", "TODO"), encoding="utf-8")

    first = rflow("check", "H-001", "--post-mr-note")
    assert first.code == 1
    assert f"/-/merge_requests/{iid}#note_" in first.stdout
    [note] = gitlab_api.notes[iid]
    assert note["body"].startswith("<!-- rflow:check -->\n### ❌")
    assert "**H-001 plan** failed" in note["body"]

    plan.write_text(plan.read_text().replace("TODO", "The toy data"), encoding="utf-8")
    rflow("check", "H-001", "--post-mr-note")
    [note] = gitlab_api.notes[iid]  # edited in place, not a second note
    assert "**H-001 plan** failed" not in note["body"]


def test_posting_without_a_token_names_the_variable(repo: Path, gitlab_api, rflow, monkeypatch):
    configure(repo, gitlab_api.url)
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "1")
    monkeypatch.delenv("GITLAB_TOKEN")
    outcome = rflow("check", "H-001", "--post-mr-note")
    assert outcome.code == 2
    assert "GITLAB_TOKEN is unset" in outcome.stderr
    assert "CI_JOB_TOKEN cannot" in outcome.stderr
