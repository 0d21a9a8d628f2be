"""Intake before the branch: `rflow idea` → the backlog on the base branch; `rflow groom`
(or `new-hypothesis ID`) turns an idea into a branch, a plan and a draft merge request."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.git_remote import ClonedRepo
from support.git import git

from researchflow.documents.document import parse_document
from researchflow.process.backlog import parse_backlog


def _idea(rflow, title: str, rice: str = "3,3,2,3", *extra: str) -> dict:
    outcome = rflow("idea", title, "--rice", rice, "--json", *extra)
    assert outcome.code == 0, outcome.stderr
    return json.loads(outcome.stdout)


def test_idea_lands_in_the_backlog_on_main_without_a_branch(
    cloned_repo: ClonedRepo, rflow, monkeypatch
) -> None:
    monkeypatch.setenv("RFLOW_USER", "alice")
    root, origin = cloned_repo.root, cloned_repo.origin
    first = _idea(rflow, "Graded target improves recall")
    second = _idea(rflow, "Price sensitivity feature", "2,2,2,2")
    assert (first["id"], second["id"]) == ("H-001", "H-002")
    assert origin.branches() == ["main"]  # no branch for an idea
    assert "refs/rflow/ids/H-002" in origin.refs()  # but the ID is taken
    ideas = parse_backlog(origin.show("main", "research/backlog.yaml"))
    assert [(i.id, i.title, i.score, i.author) for i in ideas] == [
        ("H-001", "Graded target improves recall", 54, "alice"),
        ("H-002", "Price sensitivity feature", 16, "alice"),
    ]
    # the checked-out main followed, so the working tree has the file too
    assert (root / "research" / "backlog.yaml").read_text(encoding="utf-8") == origin.show(
        "main", "research/backlog.yaml"
    )
    assert git(root, "status", "--porcelain") == ""


def test_groom_turns_the_idea_into_a_branch_plan_and_draft_mr(
    cloned_repo: ClonedRepo, rflow, monkeypatch
) -> None:
    monkeypatch.setenv("RFLOW_USER", "alice")
    _idea(rflow, "Graded target improves recall")
    monkeypatch.setenv("RFLOW_USER", "carol")
    outcome = rflow("groom", "H-001", "--executor", "erin", "--reviewer", "dave", "--json")
    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["id"] == "H-001"
    assert result["branch"] == "hyp/H-001-graded-target-improves-recall"
    plan = parse_document((cloned_repo.root / result["path"]).read_text(encoding="utf-8"))
    fm = plan.front_matter
    assert fm["title"] == "Graded target improves recall"
    assert fm["rice"] == {"reach": 3, "impact": 3, "confidence": 2, "effort": 3}
    assert fm["roles"]["author"] == "alice"  # the idea's author, not the groomer
    assert fm["roles"]["executor"] == "erin"
    assert "hyp/H-001-graded-target-improves-recall" in cloned_repo.origin.branches()
    assert "merge_request.create" in cloned_repo.origin.push_options()[-1]
    again = rflow("groom", "H-001", "--executor", "erin")
    assert again.code == 2
    assert "H-001: already groomed" in again.stderr


def test_new_hypothesis_with_an_idea_id_grooms_it(cloned_repo: ClonedRepo, rflow) -> None:
    _idea(rflow, "Graded target", "1,1,1,1", "--author", "alice")
    outcome = rflow("new-hypothesis", "H-001", "--executor", "erin", "--json")
    assert outcome.code == 0, outcome.stderr
    assert json.loads(outcome.stdout)["title"] == "Graded target"


def test_grooming_an_unknown_idea_says_so(cloned_repo: ClonedRepo, rflow) -> None:
    outcome = rflow("groom", "H-009", "--executor", "erin")
    assert outcome.code == 2
    assert "H-009 is not an idea on main" in outcome.stderr
    assert cloned_repo.origin.branches() == ["main"]


def test_one_step_new_hypothesis_still_works_and_skips_idea_ids(
    cloned_repo: ClonedRepo, rflow
) -> None:
    _idea(rflow, "An idea", "1,1,1,1", "--author", "alice")
    outcome = rflow("new-hypothesis", "Straight to a branch", "--author", "bob", "--json")
    assert outcome.code == 0, outcome.stderr
    assert json.loads(outcome.stdout)["id"] == "H-002"


def test_idea_offline_commits_on_the_local_base_branch(repo: Path, rflow) -> None:
    result = _idea(rflow, "Offline idea", "2,2,2,2", "--no-push", "--author", "alice")
    assert result["id"] == "H-001" and result["pushed"] is False
    assert "H-001: idea: Offline idea" in git(repo, "log", "-1", "--format=%s", "main")
    assert parse_backlog((repo / "research" / "backlog.yaml").read_bytes())[0].id == "H-001"


def test_the_groomer_may_be_the_executor_the_ideas_author_stays_the_author(
    cloned_repo: ClonedRepo, rflow, monkeypatch
) -> None:
    monkeypatch.setenv("RFLOW_USER", "alice")
    _idea(rflow, "Graded target improves recall")
    monkeypatch.setenv("RFLOW_USER", "carol")  # grooms it and will execute it
    outcome = rflow("groom", "H-001", "--executor", "carol", "--reviewer", "dave", "--json")
    assert outcome.code == 0, outcome.stderr
    plan = parse_document((cloned_repo.root / json.loads(outcome.stdout)["path"]).read_text())
    assert (plan.front_matter["roles"]["author"], plan.front_matter["roles"]["executor"]) == (
        "alice",
        "carol",
    )


def _backlog(cloned_repo: ClonedRepo):
    return {
        i.id: i for i in parse_backlog(cloned_repo.origin.show("main", "research/backlog.yaml"))
    }


def test_ideas_are_held_resumed_rescored_and_dropped_on_the_record(
    cloned_repo: ClonedRepo, rflow, monkeypatch
) -> None:
    monkeypatch.setenv("RFLOW_USER", "erin")
    _idea(rflow, "Discounts win back lapsed subscribers", "4,4,2,3")
    _idea(rflow, "Weekday features", "2,2,2,2")

    assert rflow("backlog", "hold", "H-001", "--reason", "wait for the pricing study").code == 0
    held = _backlog(cloned_repo)["H-001"]
    assert held.state == "held" and held.history[-1]["reason"] == "wait for the pricing study"
    groom = rflow("groom", "H-001", "--executor", "carol")
    assert groom.code == 2 and "H-001 is held (resume it with" in groom.stderr
    assert rflow("backlog", "resume", "H-001", "--reason", "the study is in").code == 0
    rescored = rflow("backlog", "rescore", "H-001", "--rice", "5,4,2,3", "--reason", "bigger")
    assert rescored.code == 0, rescored.stderr
    idea = _backlog(cloned_repo)["H-001"]
    assert (idea.state, idea.score) == ("open", 120)
    assert idea.history[-1]["from"] == {"reach": 4, "impact": 4, "confidence": 2, "effort": 3}

    assert rflow("backlog", "drop", "H-002", "--reason", "no weekday data").code == 0
    assert _backlog(cloned_repo)["H-002"].state == "dropped"  # kept, with its reason
    ranked = json.loads(rflow("rank", "--json").stdout)
    assert "H-002" not in json.dumps(ranked)
    again = rflow("backlog", "drop", "H-002", "--reason", "twice")
    assert again.code == 2
    assert "H-002 is dropped and cannot be dropped (it must be open or held)" in again.stderr
    assert git(cloned_repo.root, "status", "--porcelain") == ""


def test_status_warns_when_an_open_idea_waits_past_the_grooming_limit(
    cloned_repo: ClonedRepo, rflow, monkeypatch
) -> None:
    import datetime as dt

    monkeypatch.setenv("RFLOW_USER", "erin")
    old = dt.date.today() - dt.timedelta(days=5)
    _idea(rflow, "Waiting too long")
    _idea(rflow, "Parked on purpose")
    backlog = cloned_repo.root / "research" / "backlog.yaml"
    backlog.write_text(backlog.read_text().replace(str(dt.date.today()), old.isoformat()))
    git(cloned_repo.root, "commit", "-qam", "ideas from last week")
    assert rflow("backlog", "hold", "H-002", "--reason", "after the launch", "--no-push").code == 0

    warnings = json.loads(rflow("status", "--json").stdout)["warnings"]

    text = json.dumps(warnings)
    assert "idea H-001 has waited 5 days to be groomed, longer than the team's 2" in text
    assert "H-002" not in text  # held: off the grooming clock


def test_grooming_an_idea_does_not_say_it_is_unscored(cloned_repo: ClonedRepo, rflow) -> None:
    _idea(rflow, "Graded target improves recall")

    outcome = rflow("groom", "H-001", "--executor", "erin", "--reviewer", "dave")

    assert outcome.code == 0, outcome.stderr
    assert "scored 1,1,1,1" not in outcome.stdout  # the idea's RICE carried over
