"""The README's commands, taken from the README itself: every `rflow …` line names a
command and options that exist and parse, and the set-up sequence runs as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

README = Path(__file__).parents[2] / "README.md"
FENCE = re.compile(r"^```(?:bash|sh|console)?\s*$")
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=\S*$")


def bash_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(the heading above it, its lines) for every ```bash block."""
    blocks: list[tuple[str, list[str]]] = []
    heading, inside, lines = "", False, []
    for line in text.splitlines():
        if not inside and line.startswith("#"):
            heading = line.lstrip("# ").strip()
        if line.strip().startswith("```"):
            if inside:
                blocks.append((heading, lines))
                inside, lines = False, []
            elif line.strip() == "```bash":
                inside = True
            continue
        if inside:
            lines.append(line)
    return blocks


def rflow_invocations(text: str) -> list[list[str]]:
    """Every `rflow …` command in the README's bash blocks, as an argument list."""
    found = []
    for _, lines in bash_blocks(text):
        for line in lines:
            code = line.split("  #")[0].split(" # ")[0].strip()
            for part in re.split(r"\s*(?:&&|\|\||;|\|)\s*", code):
                try:
                    words = shlex.split(part)
                except ValueError:
                    continue
                while words and ASSIGNMENT.match(words[0]):
                    words = words[1:]
                if words[:1] == ["rflow"]:
                    found.append(words[1:])
    return found


def parse(args: list[str]) -> None:
    """Resolve the command path and parse its options and arguments as click would."""
    from researchflow.cli import cli

    command: click.Command = cli
    context = command.make_context("rflow", list(args), resilient_parsing=False)
    while isinstance(command, click.Group):
        rest = [*context._protected_args, *context.args]  # type: ignore[attr-defined]
        if not rest:
            return
        name, *rest = rest
        sub = command.get_command(context, name)
        assert sub is not None, f"rflow {name}: no such command"
        command = sub
        context = command.make_context(name, rest, parent=context)


INVOCATIONS = rflow_invocations(README.read_text(encoding="utf-8"))


def test_the_readme_shows_rflow_commands() -> None:
    assert len(INVOCATIONS) > 30


@pytest.mark.parametrize("args", INVOCATIONS, ids=lambda args: " ".join(args)[:60])
def test_every_rflow_command_in_the_readme_exists_and_parses(args: list[str]) -> None:
    try:
        parse(args)
    except click.exceptions.Exit:
        pass  # --help, --version
    except click.UsageError as error:
        pytest.fail(f"rflow {shlex.join(args)}: {error.format_message()}")


def test_the_set_up_sequence_runs_as_written(tmp_path: Path) -> None:
    """`Setting up a research repository`: init, pre-commit install, and the commit of what
    init wrote, in an existing git repository called my-project."""
    blocks = [
        lines
        for heading, lines in bash_blocks(README.read_text(encoding="utf-8"))
        if heading == "Setting up a research repository"
    ]
    assert len(blocks) == 2, blocks
    project = tmp_path / "my-project"
    project.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    (project / "README.md").write_text("# my project\n", encoding="utf-8")
    subprocess.run(["git", "add", "README.md"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "start"], cwd=project, check=True)
    script = "set -e\n" + "\n".join(line for block in blocks for line in block)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stdout + done.stderr
    left = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert left == ""  # everything init wrote is committed, nothing is left over
