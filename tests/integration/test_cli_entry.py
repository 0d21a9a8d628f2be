"""The real entry point: every command has help, and start-up stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fixtures.hypothesis_branches import Hyp, add_hypotheses
from fixtures.problems import write_problem
from support.git import git

from researchflow.cli import cli

HEAVY_MODULES = ("mlflow", "dvc", "gitlab", "nbclient", "git", "pandas", "jinja2", "rich")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(command: str, rflow) -> None:
    outcome = rflow(command, "--help")
    assert outcome.code == 0, outcome.stderr
    assert "Example" in outcome.stdout


@pytest.mark.parametrize("args", [["--help"], ["validate"], ["status"], ["status", "--json"]])
def test_start_up_imports_nothing_heavy(args: list[str], repo) -> None:
    code = (
        "import sys, json\n"
        "from researchflow.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY_MODULES), loaded & set(HEAVY_MODULES)
    if args[0] in ("validate", "status"):  # the hook's call and status skip click
        assert "click" not in loaded
        # nor for dataclasses (inspect, and an exec per class: see base/frozen.py), nor
        # typing (annotations only, under TYPE_CHECKING = False)
        costly = {"dataclasses", "inspect", "typing"}
        assert not loaded & costly, loaded & costly


def test_status_and_validate_of_everyday_plans_never_import_pyyaml(repo) -> None:
    """Importing PyYAML costs ~40 ms, more than validating a plan: everyday front matter,
    runs.yaml and reports are read by documents/plainyaml.py (PyYAML stays for the rest)."""
    write_problem(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "problem statement")
    statuses = ("draft", "review", "approved", "reported", "concluded")
    add_hypotheses(
        repo,
        [
            Hyp(
                n,
                slug=f"idea-{n}",
                status=statuses[n % 5],
                outcome="confirmed" if statuses[n % 5] in ("reported", "concluded") else None,
                runs=n % 3,
                front=("serves: [recall_at_10]",),
            )
            for n in range(1, 11)
        ],
    )
    git(repo, "checkout", "-q", "hyp/H-004-idea-4")
    plan = next(repo.glob("research/H-004-*/plan.qmd"))
    for args in (["status"], ["status", "--json"], ["validate", str(plan)]):
        code = (
            "import sys\n"
            "from researchflow.cli import main\n"
            f"try:\n    main({args!r})\nexcept SystemExit as done:\n    code = done.code\n"
            "print(code, 'yaml' in sys.modules, file=sys.stderr)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo
        )
        assert result.stderr.strip().splitlines()[-1] == "0 False", (args, result.stderr)
        if args == ["status"]:
            rows = [line for line in result.stdout.splitlines() if line.startswith("H-0")]
            assert len(rows) == 10 and "broken plan" not in result.stdout  # every plan read


def test_debug_shows_the_traceback_of_an_error(rflow_process, tmp_path) -> None:
    plain = rflow_process("approve", "H-404", cwd=tmp_path)
    debug = rflow_process("--debug", "approve", "H-404", cwd=tmp_path)
    assert plain.code == debug.code == 2
    assert "Traceback" not in plain.stderr
    assert "Traceback" in debug.stderr


def test_debug_after_run_separator_belongs_to_the_command(rflow_process, tmp_path) -> None:
    outcome = rflow_process("run", "H-404", "--", "true", "--debug", cwd=tmp_path)
    assert outcome.code == 2
    assert "Traceback" not in outcome.stderr  # rflow did not take the command's --debug


def test_unknown_command_is_a_usage_error(rflow_process) -> None:
    outcome = rflow_process("no-such-command")
    assert outcome.code == 2
    assert "No such command" in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_version_is_printed(rflow_process) -> None:
    outcome = rflow_process("--version")
    assert outcome.code == 0
    assert "rflow" in outcome.stdout
