"""`rflow validate` as users run it: exit codes, one line per problem, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.plans import GOOD_FRONT_MATTER, plan_text, write_plan
from support.cli import buffered_environment

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "researchflow" / "templates"


def test_valid_plans_pass_silently(repo: Path, rflow) -> None:
    write_plan(repo, "H-007")
    write_plan(repo, "H-008", slug="other")
    outcome = rflow("validate")
    assert outcome.code == 0
    assert outcome.stdout == ""


def test_json_lists_files_and_problems(repo: Path, rflow) -> None:
    write_plan(
        repo,
        "H-007",
        text=plan_text(front_matter=GOOD_FRONT_MATTER.replace("effort: 3", "effort: 9")),
    )
    outcome = rflow("validate", "--json")
    data = json.loads(outcome.stdout)
    assert outcome.code == 1
    assert data["ok"] is False
    assert data["files"] == ["research/H-007-graded-target/plan.qmd"]
    assert data["problems"][0]["field"] == "rice.effort"
    assert data["problems"][0]["line"] == 8


def test_each_problem_is_one_line_with_location(repo: Path, rflow) -> None:
    broken = GOOD_FRONT_MATTER.replace("effort: 3", "effort: 9").replace("increase", "up")
    write_plan(repo, "H-007", text=plan_text(front_matter=broken))
    outcome = rflow("validate")
    assert outcome.code == 1
    assert outcome.stdout.splitlines() == [
        "research/H-007-graded-target/plan.qmd:8: rice.effort: 9 is out of range "
        "(use a whole number 1..5)",
        "research/H-007-graded-target/plan.qmd:14: predictions[0].direction: 'up' is not allowed "
        "(use one of: increase, decrease, no_change)",
    ]


HOSTILE = {
    "cyrillic": ("---\ntitle: Гипотеза\nid: H-007\n---\n".encode(), 1),
    "crlf": (plan_text().replace("\n", "\r\n").encode(), 0),
    "bom": (b"\xef\xbb\xbf" + plan_text().encode(), 0),
    "tabs": (b"---\nroles:\n\tauthor: a\n---\n", 2),
    "unclosed": (b"---\ntitle: x\nid: H-007\n", 2),
    "duplicate": (
        plan_text().replace("status: review\n", "status: review\nstatus: draft\n").encode(),
        1,
    ),
    "python-tag": (b"---\ntitle: !!python/object/apply:os.system [touch pwned]\n---\n", 1),
    "not-utf8": (b"---\ntitle: caf\xe9\n---\n", 2),
    "empty": (b"", 2),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_plans_get_one_clear_line_and_no_traceback(
    repo: Path, rflow_process, name: str
) -> None:
    raw, expected_code = HOSTILE[name]
    path = repo / "research" / "H-007-graded-target" / "plan.qmd"
    path.parent.mkdir(parents=True)
    path.write_bytes(raw)
    outcome = rflow_process("validate", cwd=repo)
    assert outcome.code == expected_code, outcome
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert not (repo / "pwned").exists()
    if expected_code:
        first = outcome.stdout.splitlines()[0]
        assert first.startswith("research/H-007-graded-target/plan.qmd:")
        assert first.endswith(")")  # the fix


def test_a_five_megabyte_plan_is_validated(repo: Path, rflow) -> None:
    body = plan_text().split("---\n", 2)[2] + ("filler text " * 100 + "\n") * 4500
    path = write_plan(repo, "H-007", text=plan_text(body=body))
    assert path.stat().st_size > 5_000_000
    assert rflow("validate").code == 0


def test_missing_path_is_an_input_error(repo: Path, rflow) -> None:
    outcome = rflow("validate", "research/nope/plan.qmd")
    assert outcome.code == 2
    assert outcome.stdout.strip() == "research/nope/plan.qmd:0: file: not found (check the path)"


def test_reports_are_validated_too(repo: Path, rflow) -> None:
    write_plan(repo, "H-007")
    report = repo / "research" / "H-007-graded-target" / "report.qmd"
    report.write_text("---\ntitle: Results\nid: H-009\n---\n", encoding="utf-8")
    outcome = rflow("validate")
    assert outcome.code == 1
    assert "report.qmd:3: id: H-009 does not match its folder H-007-graded-target" in outcome.stdout


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.qmd")))
def test_built_in_templates_are_valid_documents(template: str, tmp_path: Path, rflow) -> None:
    outcome = rflow("validate", str(TEMPLATES / template))
    assert outcome.code == 0, outcome.stdout


def test_a_runs_log_named_on_the_command_line_gets_every_problem(repo: Path, rflow) -> None:
    folder = repo / "research" / "H-007-graded-target"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "runs.yaml").write_text(
        "hypothesis: H-007\nruns:\n  - run_id: a\n    experiment_id: '1'\n    dirty: maybe\n"
        "  - {run_id: b, experiment_id: '1', commit: c, metrics: {auc: high}}\n",
        encoding="utf-8",
    )
    outcome = rflow("validate", "research/H-007-graded-target/runs.yaml")
    at, fix = (
        "research/H-007-graded-target/runs.yaml",
        "(fix the value, or restore the file from git)",
    )
    assert outcome.code == 1
    assert outcome.stdout.splitlines() == [
        f"{at}:3: runs[0].commit: missing {fix}",
        f"{at}:5: runs[0].dirty: must be true or false, not str {fix}",
        f"{at}:6: runs[1].metrics.auc: must be a number, not str {fix}",
    ]


def test_validate_from_the_entry_point_prints_all_it_prints_in_process(
    repo: Path, rflow, rflow_process
) -> None:
    """The entry point's plain validate, the pre-commit hook's call, leaves without tearing
    the interpreter down (cli/__init__.py): its answer, still in its buffer then, arrives."""
    write_plan(repo, "H-007")
    done = rflow_process("validate", "--json", cwd=repo, env=buffered_environment())
    plain = rflow("validate", "--json")
    assert done.code == plain.code == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(plain.stdout)
    assert json.loads(done.stdout)["files"] == ["research/H-007-graded-target/plan.qmd"]
