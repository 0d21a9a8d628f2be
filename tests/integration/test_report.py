"""`rflow report` from real runs in the embedded MLflow store (sqlite), made by execute_run."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.plans import GOOD_FRONT_MATTER, plan_text, write_plan
from support.git import git

from researchflow.documents.config import load_config
from researchflow.documents.document import parse_document
from researchflow.views.report import extract_results_block, render_results_block
from researchflow.views.report_inputs import gather_inputs

PLAN = "research/H-007-graded-target/plan.qmd"
REPORT = "research/H-007-graded-target/report.qmd"
# The child logs its metric the way a user's training script does: through mlflow, into the
# run rflow started (MLFLOW_RUN_ID and MLFLOW_TRACKING_URI are exported to it).
TRAIN = """\
import os
from mlflow import MlflowClient
MlflowClient().log_metric(os.environ["MLFLOW_RUN_ID"], "recall_at_10", float(os.environ["RECALL"]))
"""


def run(root: Path, *argv: str) -> str:
    """`rflow run`; `python train.py VALUE` runs the registered `python train.py` logging
    VALUE (from $RECALL), so confirmatory runs execute exactly the registered command."""
    from researchflow.runs.tracking import execute_run

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RFLOW_USER", "carol")  # the plan's executor makes the runs
        if len(argv) == 3 and argv[1] == "train.py":
            patch.setenv("RECALL", argv[2])
            argv = ("python", "train.py")
        outcome = execute_run(load_config(root), "H-007", list(argv), cwd=root)
    return outcome.run_id


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """A hypothesis with an exploratory run, an approval, a confirmatory run, a failed run."""
    root = tmp_path_factory.mktemp("report") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text(".rflow/\n", encoding="utf-8")
    (root / "train.py").write_text(TRAIN, encoding="utf-8")
    (root / "researchflow.yaml").write_text("dvc:\n  enabled: false\n", encoding="utf-8")
    write_plan(
        root,
        text=plan_text(
            front_matter=GOOD_FRONT_MATTER.replace("data: [data/responses.csv]", "data: []")
        ),
    )
    commit_all(root, "plan H-007 in review")
    runs: dict[str, str] = {}
    runs["before"] = run(root, sys.executable, "train.py", "0.50")
    commit_all(root, "an early look")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RFLOW_USER", "dave")
        from researchflow.commands.approve import approve

        approve(load_config(root), "H-007")
    commit_all(root, "approve H-007")
    runs["confirmatory"] = run(root, sys.executable, "train.py", "0.45")
    commit_all(root, "confirmatory run")
    runs["failed"] = run(root, "false")
    commit_all(root, "a failed run")
    yield root, runs


@pytest.fixture
def repo_copy(experiment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict]:
    """A private copy of the experiment (its store included) as the working folder."""
    root, runs = experiment
    copy = tmp_path / "repo"
    shutil.copytree(root, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy, runs


def table_row(text: str, metric: str) -> list[str]:
    """The metric's row in the primary experiment's table (which follows the table of all
    confirmatory experiments when there are several)."""
    rows = [line for line in text.splitlines() if line.startswith(f"| {metric} |")]
    row = next(r for r in rows if r.count("|") == 11)
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_report_states_the_verdict_of_the_confirmatory_run(repo_copy, rflow) -> None:
    root, runs = repo_copy
    outcome = rflow("report", "H-007")
    assert outcome.code == 0, outcome.stderr
    text = (root / REPORT).read_text(encoding="utf-8")
    assert table_row(text, "recall_at_10") == [
        "recall_at_10",
        "increase",
        "0.42",
        "0.45",
        "1",
        "+0.03",
        "",  # one run, registered as enough: no interval
        "0.02",
        "**confirmed**",
        f"`{runs['confirmatory']}`",
    ]
    assert "**Runs tried:** 3 in all (1 failed, 0 dirty): 1 confirmatory, 2 exploratory" in text
    assert f"`{runs['before']}`" in text and "does not contain the approval" in text
    assert f"`{runs['failed']}`" in text and "ended FAILED" in text
    front = parse_document(text).front_matter
    assert front["primary_run"] == runs["confirmatory"]
    assert front["id"] == "H-007"
    assert front["hypothesis_title"] == "Graded target improves response recall"
    assert (
        parse_document((root / PLAN).read_text(encoding="utf-8")).front_matter["status"]
        == "reported"
    )
    # at status reported the report's own sections must be written before it merges
    outcome = rflow("validate")
    assert outcome.code == 1
    lines = (root / REPORT).read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("TODO: three"))
    assert f"{REPORT}:{line}: ## Summary: still holds template placeholder text (TODO)" in (
        outcome.stdout
    )


def test_update_regenerates_only_the_block(repo_copy, rflow) -> None:
    root, runs = repo_copy
    assert rflow("report", "H-007").code == 0
    path = root / REPORT
    written = path.read_text(encoding="utf-8")
    human = written.replace(
        "TODO: three sentences for a reader in a hurry",
        "Recall rose by three points.  Two  spaces\tand a tab stay",
    ).replace("## What next\n", "## What next\n\nShip it. <!-- a note -->\n")
    path.write_text(human, encoding="utf-8")
    commit_all(root, "report text")
    runs["later"] = run(root, sys.executable, "train.py", "0.47")
    commit_all(root, "a later confirmatory run")

    outcome = rflow("report", "H-007", "--update")
    assert outcome.code == 0, outcome.stderr
    updated = path.read_text(encoding="utf-8")
    old_block = extract_results_block(human)
    new_block = extract_results_block(updated)
    assert table_row(new_block, "recall_at_10")[3] == "0.47"
    # the earlier confirmatory run still counts: both experiments, oldest first
    assert "| recall_at_10 | 2 | confirmed, confirmed | **confirmed** |" in new_block
    assert f"`{runs['later']}`" in new_block
    before, after = human.split(old_block)
    assert updated.startswith(before.split("\n---\n", 1)[0].split("primary_run:")[0])
    assert updated.endswith(after)
    assert updated.split("\n---\n", 1)[1].replace(new_block, "") == (
        human.split("\n---\n", 1)[1].replace(old_block, "")
    )
    assert parse_document(updated).front_matter["primary_run"] == runs["later"]


def test_the_block_in_the_file_equals_a_regeneration(repo_copy, rflow) -> None:
    root, _ = repo_copy
    assert rflow("report", "H-007").code == 0
    text = (root / REPORT).read_text(encoding="utf-8")
    regenerated = render_results_block(gather_inputs(load_config(root), "H-007"))
    assert extract_results_block(text) == regenerated
    assert rflow("report", "H-007", "--update").code == 0
    assert (root / REPORT).read_text(encoding="utf-8") == text


def test_run_on_an_edited_plan_is_exploratory(repo_copy, rflow) -> None:
    root, _ = repo_copy
    plan = root / PLAN
    plan.write_text(
        plan.read_text(encoding="utf-8").replace("1,000 resamples", "100 resamples"),
        encoding="utf-8",
    )
    commit_all(root, "fewer resamples, no deviation")
    edited = run(root, sys.executable, "train.py", "0.49")
    commit_all(root, "run on the edited plan")
    assert rflow("report", "H-007").code == 0
    text = (root / REPORT).read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if edited in line)
    assert "differs from what was approved" in line
    assert table_row(text, "recall_at_10")[3] == "0.45"  # still the earlier confirmatory run


def test_report_needs_an_approved_plan(repo: Path, rflow) -> None:
    write_plan(repo)
    outcome = rflow("report", "H-007")
    assert outcome.code == 2
    assert "rflow approve" in outcome.stderr and PLAN in outcome.stderr
    assert not (repo / REPORT).exists()


def test_report_is_not_overwritten_without_update(repo_copy, rflow) -> None:
    root, _ = repo_copy
    assert rflow("report", "H-007", "--update").code == 2  # nothing to update yet
    assert rflow("report", "H-007").code == 0
    (root / REPORT).write_text(
        (root / REPORT).read_text(encoding="utf-8") + "\nmine\n", encoding="utf-8"
    )
    outcome = rflow("report", "H-007")
    assert outcome.code == 2
    assert "--update" in outcome.stderr
    assert (root / REPORT).read_text(encoding="utf-8").endswith("\nmine\n")


def test_template_override_wins(repo_copy, rflow) -> None:
    root, _ = repo_copy
    override = root / ".researchflow" / "templates" / "report.qmd"
    override.parent.mkdir(parents=True)
    override.write_text(
        "---\ntitle: x\nid: H-000\n---\n\n## Our results\n\n"
        "<!-- rflow:results:begin -->\n<!-- rflow:results:end -->\n",
        encoding="utf-8",
    )
    assert rflow("report", "H-007").code == 0
    text = (root / REPORT).read_text(encoding="utf-8")
    assert "## Our results" in text and "**confirmed**" in text
    assert "## Summary" not in text


def test_template_without_markers_is_refused(repo_copy, rflow) -> None:
    root, _ = repo_copy
    override = root / ".researchflow" / "templates" / "report.qmd"
    override.parent.mkdir(parents=True)
    override.write_text("---\ntitle: x\nid: H-000\n---\n\n## Results\n", encoding="utf-8")
    outcome = rflow("report", "H-007")
    assert outcome.code == 2
    assert "rflow:results:begin" in outcome.stderr
    assert not (root / REPORT).exists()


def test_report_json_names_verdicts_and_primary_run(repo_copy, rflow) -> None:
    _, runs = repo_copy
    outcome = rflow("report", "H-007", "--json")
    assert outcome.code == 0, outcome.stderr
    result = json.loads(outcome.stdout)
    assert result["verdicts"] == {"recall_at_10": "confirmed"}
    assert result["primary_run"] == runs["confirmatory"]
    assert (result["runs"], result["confirmatory"]) == (3, 1)


def test_runs_on_a_tracking_server_link_to_its_ui(
    mlflow_server: str, repo: Path, rflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    (repo / ".gitignore").write_text(".rflow/\n", encoding="utf-8")
    (repo / "train.py").write_text(TRAIN, encoding="utf-8")
    (repo / "researchflow.yaml").write_text("dvc:\n  enabled: false\n", encoding="utf-8")
    no_data = GOOD_FRONT_MATTER.replace("data: [data/responses.csv]", "data: []")
    write_plan(repo, text=plan_text(front_matter=no_data))
    commit_all(repo, "plan")
    monkeypatch.setenv("RFLOW_USER", "dave")
    assert rflow("approve", "H-007").code == 0
    commit_all(repo, "approve")
    run_id = run(repo, sys.executable, "train.py", "0.41")
    commit_all(repo, "run")

    assert rflow("report", "H-007").code == 0
    text = (repo / REPORT).read_text(encoding="utf-8")
    assert parse_document(text).front_matter["primary_run"] == run_id
    link = f"{mlflow_server.rstrip('/')}/#/experiments/"
    assert f"[`{run_id}`]({link}" in text
    assert table_row(text, "recall_at_10")[8] == "**refuted**"
