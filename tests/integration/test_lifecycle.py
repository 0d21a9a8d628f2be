"""`rflow start / hold / resume / conclude / abandon` move a plan through its life (issue 14,
problem 7), each editing only its front-matter lines and committing nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.plans import write_plan
from support.git import git

from researchflow.documents.document import parse_document

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


def test_conclude_needs_the_results_signed_off_by_a_reviewer(
    experiment, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = experiment.folder / "plan.qmd"
    before = plan.read_bytes()
    args = ("--conclusion", "it helps", "--decision", "ship", "--decision-reason", "cheap")
    unsigned = rflow("conclude", "H-001", *args)
    assert unsigned.code == 2
    assert unsigned.stderr.count("\n") == 1
    assert "lifecycle: H-001's results are not signed off" in unsigned.stderr
    assert "rflow signoff H-001" in unsigned.stderr
    monkeypatch.setenv("RFLOW_USER", "carol")  # the executor cannot sign off own results
    by_executor = rflow("signoff", "H-001")
    assert by_executor.code == 2 and "roles.executor: carol is the executor" in by_executor.stderr
    monkeypatch.setenv("RFLOW_USER", "erin")  # not a named reviewer
    assert "roles.reviewers: erin is not a reviewer" in rflow("signoff", "H-001").stderr
    assert plan.read_bytes() == before
    monkeypatch.setenv("RFLOW_USER", "dave")
    signed = rflow("signoff", "H-001")
    assert signed.code == 0, signed.stderr
    fm = front(plan)
    assert fm["status"] == "reported"
    assert (fm["lifecycle"][-1]["event"], fm["lifecycle"][-1]["by"]) == ("signoff", "dave")
    monkeypatch.setenv("RFLOW_USER", "dave")
    assert "roles.author" in rflow("conclude", "H-001", *args).stderr  # the author concludes
    monkeypatch.setenv("RFLOW_USER", "alice")
    assert rflow("conclude", "H-001", *args).code == 0


def test_conclude_takes_the_reports_verdict_and_writes_the_decision(
    experiment, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = experiment.folder / "plan.qmd"
    report = experiment.folder / "report.qmd"
    assert front(plan)["status"] == "reported"
    monkeypatch.setenv("RFLOW_USER", "dave")
    assert rflow("signoff", "H-001").code == 0
    monkeypatch.delenv("RFLOW_USER")
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


def _approve_second(repo: Path, rflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """H-008, also carol's, approved and committed beside a running H-007."""
    from fixtures.gate_plans import write_plan as write_gate_plan

    write_gate_plan(repo, "H-008", slug="second")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan H-008")
    monkeypatch.setenv("RFLOW_USER", "dave")
    assert rflow("approve", "H-008").code == 0
    git(repo, "commit", "-q", "-am", "approve H-008")
    monkeypatch.setenv("RFLOW_USER", "carol")


def test_start_as_someone_other_than_the_executor_is_refused(
    approved_plan: Path, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = approved_plan.read_bytes()
    monkeypatch.setenv("RFLOW_USER", "alice")  # the author, not the executor
    outcome = rflow("start", "H-007")
    assert outcome.code == 2
    assert outcome.stderr.count("\n") == 1
    assert "roles.executor: start is the executor's step and alice is not the executor carol" in (
        outcome.stderr
    )
    assert approved_plan.read_bytes() == before


def test_a_second_start_past_the_wip_limit_needs_a_recorded_override(
    approved_plan: Path, repo: Path, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert rflow("start", "H-007").code == 0
    git(repo, "commit", "-q", "-am", "start H-007")
    _approve_second(repo, rflow, monkeypatch)
    second = repo / "research" / "H-008-second" / "plan.qmd"
    before = second.read_bytes()

    refused = rflow("start", "H-008")

    assert refused.code == 2
    assert "carol already runs 1 (H-007) and the WIP limit is 1" in refused.stderr
    assert "--override" in refused.stderr
    assert second.read_bytes() == before
    allowed = rflow("start", "H-008", "--override", "H-007 waits for the March export")
    assert allowed.code == 0, allowed.stderr
    last = front(second)["lifecycle"][-1]
    assert (last["event"], last["override"]) == ("start", "H-007 waits for the March export")
    assert "limit passed on record" in allowed.stdout
    assert rflow("validate").code == 0


def test_extend_past_the_longest_timebox_needs_a_recorded_override(
    approved_plan: Path, rflow
) -> None:
    assert rflow("start", "H-007").code == 0
    days = front(approved_plan)["timebox_days"]
    before = approved_plan.read_bytes()

    refused = rflow("extend", "H-007", "--days", "30", "--reason", "late data")

    assert refused.code == 2
    assert f"timebox_days: {days + 30} days is past timebox_max_days 5" in refused.stderr
    assert approved_plan.read_bytes() == before
    allowed = rflow("extend", "H-007", "--days", "30", "--reason", "late", "--override", "agreed")
    assert allowed.code == 0, allowed.stderr
    assert front(approved_plan)["lifecycle"][-1]["override"] == "agreed"


def test_phase_moves_a_hypothesis_through_the_teams_stages(
    approved_plan: Path, repo: Path, rflow, tmp_path: Path
) -> None:
    unknown = rflow("phase", "H-007", "modeling")
    assert unknown.code == 2
    assert "'modeling' is not one of the team's phases (did you mean 'modelling'?)" in (
        unknown.stderr
    )
    entered = rflow("phase", "H-007", "data-exploration")
    assert entered.code == 0, entered.stderr
    assert "deliverable: the data understood" in entered.stdout
    fm = front(approved_plan)
    assert (fm["lifecycle"][-1]["event"], fm["lifecycle"][-1]["phase"]) == (
        "phase",
        "data-exploration",
    )
    assert fm["status"] == "approved"  # a phase is not a status
    again = rflow("phase", "H-007", "data-exploration")
    assert again.code == 2 and "already in data-exploration" in again.stderr
    assert rflow("validate").code == 0
    git(repo, "commit", "-q", "-am", "H-007 explores the data")

    rows = json.loads(rflow("status", "--json").stdout)["hypotheses"]
    assert [r["phase"] for r in rows if r["id"] == "H-007"] == ["data-exploration"]
    board = tmp_path / "board.html"
    assert rflow("board", "--html", str(board)).code == 0
    html = board.read_text(encoding="utf-8")
    assert 'data-phase="data-exploration"' in html
    assert "<b>1</b> in data-exploration: H-007" in html
    digest = json.loads(rflow("digest", "--json").stdout)
    assert digest["phase_days"] == {"H-007": {"data-exploration": 0}}


def test_a_team_names_its_own_phases(repo: Path, rflow) -> None:
    (repo / "researchflow.yaml").write_text(
        'phases: {discovery: "a one-page memo", delivery: "the service"}\n', encoding="utf-8"
    )
    outcome = rflow("phase", "H-007", "modelling")
    assert outcome.code == 2 and "use one of: discovery, delivery" in outcome.stderr
