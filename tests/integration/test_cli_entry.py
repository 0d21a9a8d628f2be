"""The real entry point: every command has help, and start-up stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from researchflow.cli import cli

HEAVY_MODULES = ("mlflow", "dvc", "gitlab", "nbclient", "git", "pandas", "jinja2", "rich")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(command: str, rflow) -> None:
    outcome = rflow(command, "--help")
    assert outcome.code == 0, outcome.stderr
    assert "Example" in outcome.stdout


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys, json\n"
        "from researchflow.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY_MODULES), loaded & set(HEAVY_MODULES)


def test_validate_imports_nothing_heavy(repo) -> None:
    code = (
        "import sys, json\n"
        "from researchflow.cli import main\n"
        "try:\n    main(['validate'])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY_MODULES), loaded & set(HEAVY_MODULES)


def test_unknown_command_is_a_usage_error(rflow_process) -> None:
    outcome = rflow_process("no-such-command")
    assert outcome.code == 2
    assert "No such command" in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_version_is_printed(rflow_process) -> None:
    outcome = rflow_process("--version")
    assert outcome.code == 0
    assert "rflow" in outcome.stdout
