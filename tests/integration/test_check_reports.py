"""`rflow check --report FORMAT=FILE` writes each format from the one renderer table;
`--junit` and `--markdown` are aliases of it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fixtures.plans import write_plan
from support.git import git


@pytest.fixture
def planned(repo: Path) -> Path:
    write_plan(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a plan")
    return repo


def test_every_format_is_written_and_aliases_match(planned: Path, rflow) -> None:
    outcome = rflow(
        "check",
        "H-007",
        "--report",
        "json=out/check.json",
        "--report",
        "junit=out/a.xml",
        "--report",
        "text=out/check.txt",
        "--junit",
        "out/b.xml",
        "--markdown",
        "out/note.md",
    )
    data = json.loads((planned / "out/check.json").read_text(encoding="utf-8"))
    assert data["exit_code"] == outcome.code
    assert data["hypotheses"] == ["H-007"]
    junit = (planned / "out/a.xml").read_bytes()
    assert junit == (planned / "out/b.xml").read_bytes()
    assert ET.fromstring(junit).tag == "testsuites"
    assert (
        (planned / "out/check.txt")
        .read_text(encoding="utf-8")
        .rstrip()
        .splitlines()[-1]
        .startswith("rflow check ")
    )
    assert (planned / "out/note.md").read_text(encoding="utf-8").startswith("<!-- rflow:check")


@pytest.mark.parametrize("value", ["sarif=x.sarif", "junit", "=x.xml", "junit="])
def test_an_unknown_format_or_missing_file_is_a_usage_error(planned: Path, rflow, value) -> None:
    outcome = rflow("check", "H-007", "--report", value)
    assert outcome.code == 2
    assert "FORMAT=FILE" in outcome.stderr
    assert "json, junit, markdown, text" in outcome.stderr
