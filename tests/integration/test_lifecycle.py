"""`rflow start / hold / resume / conclude / abandon` move a plan through its life (issue 14,
problem 7), each editing only its front-matter lines and committing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.plans import write_plan
from support.git import git

from researchflow.document import parse_document

PLAN = "research/H-007-graded-target/plan.qmd"


@pytest.fixture
def approved_plan(repo: Path, rflow, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_plan(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan H-007")
    monkeypatch.setenv("RFLOW_USER", "dave")
    assert rflow("approve", "H-007").code == 0
    git(repo, "commit", "-q", "-am", "approve H-007")
    monkeypatch.setenv("RFLOW_USER", "carol")
    return path


def front(path: Path) -> dict:
    return parse_document(path.read_text(encoding="utf-8")).front_matter


def test_start_refuses_a_plan_without_approval(repo: Path, rflow) -> None:
    path = write_plan(repo)
    before = path.read_bytes()
    outcome = rflow("start", "H-007")
    assert outcome.code == 2
    line = outcome.stderr.strip()
    assert "\n" not in line
    assert PLAN in line and "status" in line and "rflow approve" in line
    assert path.read_bytes() == before


def test_start_hold_resume_edit_only_status_and_lifecycle(approved_plan: Path, rflow) -> None:
    before = approved_plan.read_text(encoding="utf-8")
    outcome = rflow("start", "H-007")
    assert outcome.code == 0, outcome.stderr
    assert "approved → running" in outcome.stdout
    after = approved_plan.read_text(encoding="utf-8")
    fm = front(approved_plan)
    assert fm["status"] == "running"
    assert [e["event"] for e in fm["lifecycle"]] == ["start"]
    assert fm["lifecycle"][0]["by"] == "carol"
    # the body and every other field are byte-identical
    assert after.split("\n---\n", 1)[1] == before.split("\n---\n", 1)[1]
    changed = {
        line
        for line in set(after.splitlines()) ^ set(before.splitlines())
        if not line.startswith(("status:", "lifecycle:", "- event:", "  at:", "  by:", "  reason:"))
        and not line.startswith("  event:")
    }
    assert changed == set()
    # nothing committed
    assert git(approved_plan.parents[2], "status", "--porcelain").strip() == f"M {PLAN}"

    assert rflow("start", "H-007").code == 2  # already running
    assert rflow("hold", "H-007", "--reason", "waiting for the March export").code == 0
    assert front(approved_plan)["status"] == "hold"
    assert rflow("resume", "H-007").code == 0
    fm = front(approved_plan)
    assert fm["status"] == "running"
    assert [e["event"] for e in fm["lifecycle"]] == ["start", "hold", "resume"]
    assert fm["lifecycle"][1]["reason"] == "waiting for the March export"
    assert rflow("validate").code == 0


def test_hold_needs_a_reason_and_a_running_plan(approved_plan: Path, rflow) -> None:
    outcome = rflow("hold", "H-007", "--reason", "x")
    assert outcome.code == 2 and "rflow start H-007" in outcome.stderr
    assert rflow("start", "H-007").code == 0
    assert rflow("hold", "H-007", "--reason", "  ").code == 2
    assert front(approved_plan)["status"] == "running"


def test_abandon_records_the_reason_even_for_a_draft(repo: Path, rflow) -> None:
    from fixtures.plans import plan_text

    draft = (
        plan_text()
        .replace("status: review", "status: draft")
        .replace("executor: carol", "executor: null")
    )
    path = write_plan(repo, text=draft + "\n## Notes\n\nTODO: later\n")
    outcome = rflow("abandon", "H-007", "--reason", "the data source was retired")
    assert outcome.code == 0, outcome.stderr
    fm = front(path)
    assert fm["status"] == "abandoned"
    assert fm["lifecycle"][-1]["event"] == "abandon"
    assert fm["lifecycle"][-1]["reason"] == "the data source was retired"
    assert rflow("validate").code == 0
    again = rflow("abandon", "H-007", "--reason", "twice")
    assert again.code == 2 and "abandoned" in again.stderr


def test_conclude_takes_the_reports_verdict_and_writes_the_decision(experiment, rflow) -> None:
    plan = experiment.folder / "plan.qmd"
    report = experiment.folder / "report.qmd"
    assert front(plan)["status"] == "reported"
    no_decision = rflow("conclude", "H-001", "--conclusion", "the graded target helps")
    assert no_decision.code == 2 and "decision" in no_decision.stderr
    assert front(plan)["status"] == "reported"

    wrong = rflow(
        "conclude",
        "H-001",
        "--outcome",
        "refuted",
        "--conclusion",
        "we do not believe it",
        "--decision",
        "stop",
        "--decision-reason",
        "no",
    )
    assert wrong.code == 2 and "confirmed" in wrong.stderr
    assert front(plan)["status"] == "reported"

    outcome = rflow(
        "conclude",
        "H-001",
        "--conclusion",
        "the graded target helps",
        "--decision",
        "ship",
        "--decision-reason",
        "beats the baseline at equal cost",
    )
    assert outcome.code == 0, outcome.stderr
    fm = front(plan)
    assert fm["status"] == "concluded"
    assert fm["outcome"] == "confirmed"  # from the report's verdicts
    assert fm["conclusion"] == "the graded target helps"
    assert fm["lifecycle"][-1]["event"] == "conclude"
    assert fm["lifecycle"][-1]["outcome"] == "confirmed"
    report_fm = front(report)
    assert report_fm["decision"] == "ship"
    assert report_fm["decision_reason"] == "beats the baseline at equal cost"
    status = git(experiment.repo, "status", "--porcelain")
    assert "plan.qmd" in status and "report.qmd" in status  # edited, not committed
