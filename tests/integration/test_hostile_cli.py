"""The command line as users type it (issue 11): an empty ID is a usage error, never "the
current branch's", and rflow's options may follow the ID of `rflow run`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from fixtures.plans import write_plan
from support.git import git

from researchflow.documents.runlog import read_runs

RUNS = Path("research/H-001-demo/runs.yaml")


@pytest.fixture
def on_hypothesis_branch(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """H-007 in review on its own branch: an ID-less approve would act on it."""
    git(repo, "checkout", "-q", "-b", "hyp/H-007-graded-target")
    path = write_plan(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "plan H-007")
    monkeypatch.setenv("RFLOW_USER", "dave")  # the named reviewer: approve would succeed
    return path


@pytest.mark.parametrize(
    "args",
    [
        ("approve", ""),
        ("approve", "  "),
        ("deviate", "", "--reason", "r"),
        ("run", "", "--", "true"),
    ],
    ids=["approve", "approve-blank", "deviate", "run"],
)
def test_an_empty_id_is_a_usage_error_and_changes_nothing(
    on_hypothesis_branch: Path, rflow, args: tuple[str, ...]
) -> None:
    before = on_hypothesis_branch.read_bytes()
    outcome = rflow(*args)
    assert outcome.code == 2, outcome
    lines = outcome.stderr.strip().splitlines()
    assert lines == [
        "rflow: ID: empty (give a hypothesis ID such as H-007, or leave it out for the "
        "current branch's)"
    ]
    assert on_hypothesis_branch.read_bytes() == before
    assert not (on_hypothesis_branch.parent / "runs.yaml").exists()


@pytest.fixture
def server(mlflow_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    return mlflow_server


def test_run_accepts_allow_dirty_after_the_id(runs_repo: Path, server, rflow) -> None:
    (runs_repo / "README.md").write_text("edited\n", encoding="utf-8")
    outcome = rflow("run", "H-001", "--allow-dirty", "--", sys.executable, "-c", "print('hi')")
    assert outcome.code == 0, outcome.stderr
    (entry,) = read_runs(runs_repo / RUNS).runs
    assert entry.dirty is True
    assert entry.command == (sys.executable, "-c", "print('hi')")


def test_run_accepts_json_before_and_after_the_id(runs_repo: Path, server, rflow_process) -> None:
    first = rflow_process("run", "--json", "H-001", "--", "true", cwd=runs_repo)
    second = rflow_process("run", "H-001", "--json", "--", "true", cwd=runs_repo)
    assert first.code == second.code == 0, (first.stderr, second.stderr)
    ids = {json.loads(first.stdout)["run_id"], json.loads(second.stdout)["run_id"]}
    assert {entry.run_id for entry in read_runs(runs_repo / RUNS).runs} == ids
    assert all(entry.command == ("true",) for entry in read_runs(runs_repo / RUNS).runs)


def test_the_commands_own_options_stay_its_own(runs_repo: Path, server, rflow) -> None:
    outcome = rflow("run", "H-001", "--", sys.executable, "-c", "import sys", "--json")
    assert outcome.code == 0, outcome.stderr
    (entry,) = read_runs(runs_repo / RUNS).runs
    assert entry.command[-1] == "--json"
    assert not outcome.stdout.strip().startswith("{")


def test_a_misspelt_option_before_dash_dash_is_a_usage_error(runs_repo: Path, rflow) -> None:
    outcome = rflow("run", "H-001", "--alow-dirty", "--", "true")
    assert outcome.code == 2
    # click's own words, as for every other command, with its suggestion
    assert "No such option '--alow-dirty'. Did you mean '--allow-dirty'?" in outcome.stderr
    assert not (runs_repo / RUNS).exists()


def test_a_command_may_hold_its_own_dash_dash(runs_repo: Path, server, rflow) -> None:
    outcome = rflow("run", "H-001", "--", sys.executable, "-c", "import sys", "--", "x")
    assert outcome.code == 0, outcome.stderr
    (entry,) = read_runs(runs_repo / RUNS).runs
    assert entry.command == (sys.executable, "-c", "import sys", "--", "x")
