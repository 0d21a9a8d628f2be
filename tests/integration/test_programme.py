"""The research programme: the problem statement, plans serving it, the ship decision."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.experiment import Experiment, failing
from fixtures.plans import GOOD_FRONT_MATTER, plan_text, write_plan
from fixtures.problems import problem_text, write_problem

from researchflow.documents.document import parse_document


def _line_of(text: str, prefix: str) -> int:
    """The 1-based line of the plan that starts with `prefix` (the fixture plan may grow)."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(prefix))


SERVING = GOOD_FRONT_MATTER.replace("format: html\n", "serves: [recall_at_10]\nformat: html\n")


def test_init_writes_the_problem_statement_once_and_keeps_edits(repo: Path, rflow) -> None:
    first = rflow("init", "--no-dvc")
    assert first.code == 0, first.stderr
    path = repo / "research" / "problem.qmd"
    assert "research/problem.qmd" in first.stdout
    text = path.read_text(encoding="utf-8")
    assert "status: draft" in text
    for section in (
        "Business goal",
        "Problem",
        "Success metrics",
        "Data",
        "Technical requirements",
        "Boundaries",
        "Risks",
    ):
        assert f"## {section}\n" in text
    assert rflow("validate").code == 0  # a draft may hold the template's TODO text
    path.write_text(text.replace("TODO: which data", "Three years of CRM data. TODO"), "utf-8")
    edited = path.read_text(encoding="utf-8")
    second = rflow("init", "--no-dvc")
    assert second.code == 0
    assert "problem.qmd" not in second.stdout
    assert path.read_text(encoding="utf-8") == edited


def test_agreed_problem_statement_with_a_todo_section_fails_validate(repo: Path, rflow) -> None:
    write_problem(repo, problem_text(risks="TODO: the risks"))
    outcome = rflow("validate")
    assert outcome.code == 1
    assert outcome.stdout.strip() == (
        "research/problem.qmd:44: ## Risks: still holds template placeholder text (TODO) "
        "(replace the TODO text, or set status: draft)"
    )
    write_problem(repo, problem_text(status="draft", risks="TODO: the risks"))
    assert rflow("validate").code == 0


def test_problem_statement_keys_are_strict(repo: Path, rflow) -> None:
    text = problem_text().replace("owner: erin\n", "ownr: erin\nx-team: growth\n")
    write_problem(repo, text)
    outcome = rflow("validate", "--json")
    problems = json.loads(outcome.stdout)["problems"]
    fields = {(p["field"], p["message"], p["fix"]) for p in problems}
    assert ("ownr", "unknown key", "did you mean 'owner'?") in fields
    assert not any(p["field"] == "x-team" for p in problems)


def test_plan_in_review_must_serve_a_known_success_metric(repo: Path, rflow) -> None:
    write_problem(repo)
    write_plan(repo)  # status: review, no serves
    outcome = rflow("validate")
    assert outcome.code == 1
    lines = outcome.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "research/H-007-graded-target/plan.qmd:1: serves: a plan in review must name the "
        "success metrics it serves"
    )
    text = plan_text(front_matter=SERVING.replace("recall_at_10]", "recal]"))
    write_plan(repo, text=text)
    outcome = rflow("validate")
    assert outcome.code == 1
    assert outcome.stdout.strip().splitlines() == [
        f"research/H-007-graded-target/plan.qmd:{_line_of(text, 'serves:')}: "
        "serves[0]: 'recal' is not a success metric "
        "of any problem statement (use one of: latency_p95, recall_at_10, retention_30d)"
    ]
    write_plan(repo, text=plan_text(front_matter=SERVING))
    assert rflow("validate").code == 0


def test_metrics_of_several_programmes_count(repo: Path, rflow) -> None:
    write_problem(repo, slug="churn")
    other = problem_text().replace("retention_30d", "basket_size")
    write_problem(repo, other, slug="basket")
    serving = SERVING.replace("[recall_at_10]", "[basket_size, retention_30d]")
    write_plan(repo, text=plan_text(front_matter=serving))
    outcome = rflow("validate", "--json")
    assert outcome.code == 0, outcome.stdout
    files = json.loads(outcome.stdout)["files"]
    assert "research/problems/basket.qmd" in files and "research/problems/churn.qmd" in files


def test_a_draft_programme_does_not_require_serves(repo: Path, rflow) -> None:
    write_problem(repo, problem_text(status="draft"))
    write_plan(repo)
    assert rflow("validate").code == 0


def test_long_timebox_at_review_warns_but_passes(repo: Path, rflow) -> None:
    write_plan(
        repo,
        text=plan_text(
            front_matter=GOOD_FRONT_MATTER.replace("timebox_days: 5", "timebox_days: 8")
        ),
    )
    outcome = rflow("validate")
    assert outcome.code == 0
    assert "timebox_days: warning: 8 days is longer than the team's 5-day maximum" in outcome.stdout
    (repo / "researchflow.yaml").write_text("timebox_max_days: 10\n", encoding="utf-8")
    assert "timebox_days" not in rflow("validate").stdout


def test_new_hypothesis_serves_fills_in_the_metric(repo: Path, rflow) -> None:
    write_problem(repo)
    outcome = rflow("new-hypothesis", "Graded target", "--no-push", "--serves", "recall_at_10")
    assert outcome.code == 0, outcome.stderr
    plan = next((repo / "research").glob("H-001-*/plan.qmd")).read_text(encoding="utf-8")
    assert "serves: [recall_at_10]" in plan
    wrong = rflow("new-hypothesis", "Other", "--no-push", "--serves", "recal")
    assert wrong.code == 2
    assert "--serves: 'recal' is not a success metric" in wrong.stderr


def _conclude(experiment: Experiment, report_fields: str, body: str = "") -> None:
    plan = experiment.folder / "plan.qmd"
    text = plan.read_text(encoding="utf-8")
    plan.write_text(
        text.replace("status: reported", "status: concluded\noutcome: confirmed", 1).replace(
            "outcome: null\n", ""
        ),
        encoding="utf-8",
    )
    report = experiment.folder / "report.qmd"
    text = report.read_text(encoding="utf-8")
    head, rest = text.split("\n---\n", 1)
    kept = [line for line in head.split("\n") if not line.startswith("decision")]
    head = "\n".join(kept)
    report.write_text(f"{head}\n{report_fields}---\n{rest}{body}", encoding="utf-8")
    experiment.commit("H-001: concluded")


def _report_problems(rflow) -> list[str]:
    outcome = rflow("validate", "--json")
    return [f"{p['field']}: {p['message']}" for p in json.loads(outcome.stdout)["problems"]]


def test_concluded_report_needs_the_ship_decision(experiment: Experiment, rflow) -> None:
    _conclude(experiment, "")
    assert _report_problems(rflow) == [
        "decision: a concluded hypothesis needs the ship decision",
        "decision_reason: missing",
    ]
    assert "decision: a concluded hypothesis needs the ship decision" in " ".join(
        failing(experiment.check())["report"]
    )


def test_ship_decision_needs_a_deployment_plan(experiment: Experiment, rflow) -> None:
    _conclude(experiment, "decision: ship\ndecision_reason: recall up 4 points\n")
    assert _report_problems(rflow) == [
        "## Deployment plan: a ship decision needs a deployment plan"
    ]
    assert any(
        "a ship decision needs a deployment plan" in line
        for line in failing(experiment.check())["report"]
    )


def test_ship_decision_with_a_deployment_plan_passes(experiment: Experiment, rflow) -> None:
    body = (
        "\n## Deployment plan\n\nInterface: the scoring API. Owner: carol. "
        "Monitoring: weekly recall_at_10 on labelled responses.\n"
    )
    _conclude(experiment, "decision: ship\ndecision_reason: recall up 4 points\n", body)
    assert _report_problems(rflow) == []
    assert "report" not in failing(experiment.check())


def test_report_keys_are_strict(experiment: Experiment, rflow) -> None:
    _conclude(experiment, "decison: stop\ndecision: stop\ndecision_reason: no effect\nx-team: a\n")
    assert _report_problems(rflow) == ["decison: unknown key"]


def test_a_typo_in_a_plan_key_fails_with_a_suggestion_and_x_keys_pass(repo: Path, rflow) -> None:
    typo = GOOD_FRONT_MATTER.replace("timebox_days: 5", "timebox_day: 5\nx-team: growth")
    text = plan_text(front_matter=typo)
    write_plan(repo, text=text)
    outcome = rflow("validate")
    assert outcome.code == 1
    assert outcome.stdout.strip().splitlines() == [
        f"research/H-007-graded-target/plan.qmd:{_line_of(text, 'timebox_day:')}: "
        "timebox_day: unknown key "
        "(did you mean 'timebox_days'?)"
    ]
    write_plan(
        repo,
        text=plan_text(
            front_matter=GOOD_FRONT_MATTER.replace(
                "timebox_days: 5", "timebox_days: 5\nx-team: growth"
            )
        ),
    )
    assert rflow("validate").code == 0


def test_an_agreed_statement_answers_every_question_a_draft_may_leave_open(
    repo: Path, rflow
) -> None:
    text = problem_text().replace(
        'cost_of_error: "a missed churner costs a year\'s fee; a wasted offer costs 5 EUR"\n',
        "cost_of_error: null\n",
    )
    write_problem(
        repo, text.replace("stakeholders: [erin, the retention team]", "stakeholders: []")
    )
    outcome = rflow("validate")
    assert outcome.code == 1
    lines = outcome.stdout.strip().splitlines()
    assert any(
        "cost_of_error: an agreed problem statement answers it (answer: what does a wrong "
        "prediction cost, each way? (or set status: draft))" in line
        for line in lines
    )
    assert any("stakeholders: an agreed problem statement answers it" in line for line in lines)
    write_problem(repo, text.replace("status: agreed", "status: draft"))
    assert rflow("validate").code == 0


def test_no_plan_is_approved_while_the_statement_it_serves_is_a_draft(
    repo: Path, rflow, monkeypatch
) -> None:
    write_problem(repo, problem_text(status="draft"))
    path = write_plan(repo)  # in review, serving no metric yet
    before = path.read_bytes()
    monkeypatch.setenv("RFLOW_USER", "dave")

    refused = rflow("approve", "H-007")

    assert refused.code == 2
    assert refused.stderr.count("\n") == 1
    assert "research/problem.qmd: status: the problem statement H-007 serves is still a draft" in (
        refused.stderr
    )
    assert path.read_bytes() == before
    write_problem(repo)  # agreed: now the plan must say what it serves
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "status: review", "status: review\nserves: [recall_at_10]"
        ),
        encoding="utf-8",
    )
    assert rflow("approve", "H-007").code == 0


def test_after_shipping_the_pilot_result_and_plan_b_are_recorded_and_shown(
    experiment: Experiment, rflow, tmp_path: Path
) -> None:
    early = rflow("shipped", "H-001", "--result", "A/B +1.8 %", "--plan-b", "tenure rule")
    assert early.code == 2 and "a pilot result follows a concluded ship decision" in early.stderr
    body = (
        "\n## Deployment plan\n\nInterface: the scoring API. Owner: carol. "
        "Monitoring: weekly recall_at_10 on labelled responses.\n"
    )
    _conclude(experiment, "decision: ship\ndecision_reason: recall up 4 points\n", body)

    outcome = rflow(
        "shipped", "H-001", "--result", "A/B: retention +1.8 % over 4 weeks",
        "--plan-b", "back to the tenure rule if retention drops below control",
    )  # fmt: skip

    assert outcome.code == 0, outcome.stderr
    assert _report_problems(rflow) == []
    report = parse_document((experiment.folder / "report.qmd").read_text(encoding="utf-8"))
    shipped = report.front_matter["shipped"]
    assert shipped["result"] == "A/B: retention +1.8 % over 4 weeks"
    assert shipped["plan_b"] == "back to the tenure rule if retention drops below control"
    experiment.commit("H-001: pilot result")
    board = tmp_path / "board.html"
    assert rflow("board", "--html", str(board)).code == 0
    assert "after shipping: A/B: retention +1.8 % over 4 weeks; plan B: back to the tenure" in (
        board.read_text(encoding="utf-8")
    )


def test_a_shipped_record_without_a_ship_decision_fails_validate(
    experiment: Experiment, rflow
) -> None:
    _conclude(
        experiment,
        "decision: stop\ndecision_reason: no effect\nshipped: {result: x, plan_b: y}\n",
    )
    assert "shipped: recorded without a ship decision" in _report_problems(rflow)
