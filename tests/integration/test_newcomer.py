"""The small things a newcomer hits (issue 14, problem 9), each through the real command."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from fixtures.plans import write_plan
from support.git import git

from researchflow.documents.runlog import read_runs

RUNS = Path("research/H-001-demo/runs.yaml")


def test_run_with_only_an_id_never_runs_the_id_as_a_command(runs_repo: Path, rflow) -> None:
    outcome = rflow("run", "H-001")
    assert "H-001: command not found" not in outcome.stderr
    assert all(entry.command != ("H-001",) for entry in read_runs(runs_repo / RUNS).runs)


def test_run_without_the_separator_is_refused_before_anything_runs(runs_repo: Path, rflow) -> None:
    outcome = rflow("run", sys.executable, "-c", "print('ran')")
    assert outcome.code == 2
    assert "put `--` before the command" in outcome.stderr
    refused = rflow("run", "H-001", sys.executable, "-c", "print('ran')")
    assert refused.code == 2 and "rflow run H-001 -- " in refused.stderr
    # rflow's options after the ID are accepted (issue 11): tests/integration/test_hostile_cli.py
    assert not (runs_repo / RUNS).exists()


def test_mlflow_view_run_lines_stay_out_of_json_output(
    runs_repo: Path, mlflow_server: str, rflow_process
) -> None:
    import os

    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_server}
    env.pop("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", None)
    outcome = rflow_process("run", "--json", "H-001", "--", "true", cwd=runs_repo, env=env)
    assert outcome.code == 0, outcome.stderr
    assert "View run" not in outcome.stdout
    assert json.loads(outcome.stdout)["status"] == "FINISHED"


def test_board_without_html_writes_into_the_ignored_state_folder(repo: Path, rflow) -> None:
    write_plan(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "plan")
    outcome = rflow("board")
    assert outcome.code == 0, outcome.stderr
    assert "1 hypothesis," in outcome.stdout
    assert (repo / ".rflow" / "board.html").is_file()


def test_doctor_does_not_ask_to_add_an_origin_that_exists(repo: Path, rflow) -> None:
    git(repo, "remote", "add", "origin", "../origin.git")  # a local bare repository
    outcome = rflow("doctor", "--json")
    gitlab = next(c for c in json.loads(outcome.stdout)["checks"] if c["name"] == "gitlab")
    assert "git remote add" not in gitlab["fix"]
    assert "gitlab.url" in gitlab["fix"]


def test_validate_outside_a_repository_is_an_input_error(tmp_path: Path, monkeypatch, rflow):
    monkeypatch.chdir(tmp_path)
    outcome = rflow("validate")
    assert outcome.code == 2
    assert "not inside a git repository" in outcome.stderr


def test_new_hypothesis_without_rice_ranks_below_scored_work(cloned_repo, rflow) -> None:
    scored = rflow("new-hypothesis", "Scored idea", "--rice", "2,2,2,2", "--no-push")
    assert scored.code == 0, scored.stderr
    git(cloned_repo.root, "switch", "-q", "main")
    unscored = rflow("new-hypothesis", "Unscored idea", "--no-push")
    assert unscored.code == 0, unscored.stderr
    assert "no --rice: scored 1,1,1,1" in unscored.stdout
    ranking = json.loads(rflow("rank", "--json").stdout)["ranking"]
    titles = [row["title"] for row in ranking]
    assert titles.index("Scored idea") < titles.index("Unscored idea")


def test_a_plain_mlflow_script_does_not_dirty_the_tree_after_init(repo: Path, rflow) -> None:
    assert rflow("init", "--no-dvc", "--no-install-hook").code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "rflow init")
    (repo / "mlflow.db").write_bytes(b"sqlite")  # what MLflow's own default store writes
    (repo / "mlruns" / "0").mkdir(parents=True)
    (repo / "mlruns" / "0" / "meta.yaml").write_text("x: 1\n", encoding="utf-8")
    assert git(repo, "status", "--porcelain").strip() == ""
    assert yaml.safe_load((repo / "researchflow.yaml").read_text()) is not None
