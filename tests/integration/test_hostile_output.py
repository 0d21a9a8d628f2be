"""Output safe to paste: what a hostile plan holds never reaches a terminal, the merge-request
note or the JUnit report as anything but visible text (issue 11, rows on escapes, Markdown
and JUnit)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fixtures.plans import GOOD_FRONT_MATTER, plan_text, write_plan
from support.git import git

# A hand-written title with a screen-clearing escape, a bidi override and a forged line
TITLE = r'"Graded\e[2J \u202eevil\nrflow check passed: 7 passed, 0 failed"'
# A YAML key (so it lands in a problem line) carrying HTML, a mention, a remote image,
# a closing </details>, a newline that forges a line and a control character (XML-illegal)
KEY = (
    r'"<img src=x onerror=alert(1)> @all ![](http://evil.example/a.png) </details>'
    r'\nrflow check passed\a"'
)


@pytest.fixture
def hostile_repo(repo: Path) -> Path:
    front = GOOD_FRONT_MATTER.replace('"Graded target improves response recall"', TITLE)
    write_plan(repo, text=plan_text(front_matter=front + f"{KEY}: 1\n"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a hostile plan")
    return repo


def assert_terminal_safe(text: str) -> None:
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert not any(line.startswith("rflow check passed") for line in text.splitlines()), text


def test_status_shows_escapes_bidi_and_newlines_in_a_title_escaped(hostile_repo, rflow) -> None:
    outcome = rflow("status")
    assert outcome.code == 0, outcome
    assert_terminal_safe(outcome.stdout)
    row = next(line for line in outcome.stdout.splitlines() if line.startswith("H-007"))
    assert row.endswith(r"Graded\x1b[2J \u202eevil\nrflow check passed: 7 passed, 0 failed")
    # JSON stays exact: the title as the file holds it
    exact = json.loads(rflow("status", "--json").stdout)["hypotheses"][0]["title"]
    assert exact == "Graded\x1b[2J \u202eevil\nrflow check passed: 7 passed, 0 failed"


def test_check_cannot_be_made_to_print_a_forged_passed_line(hostile_repo, rflow) -> None:
    outcome = rflow("check", "H-007")
    assert outcome.code == 1, outcome
    assert_terminal_safe(outcome.stdout + outcome.stderr)
    lines = outcome.stdout.strip().splitlines()
    assert lines[-1].startswith("rflow check FAILED")
    problem = next(line for line in lines if "unknown key" in line)
    assert r"</details>\nrflow check passed\x07" in problem


def test_markdown_note_renders_no_html_mention_image_or_details(hostile_repo, rflow) -> None:
    note = hostile_repo / "note.md"
    outcome = rflow("check", "H-007", "--markdown", str(note))
    assert outcome.code == 1, outcome
    text = note.read_text(encoding="utf-8")
    problem = next(line for line in text.splitlines() if "onerror" in line)
    # the whole problem is one code span: GitLab renders nothing inside it
    assert re.fullmatch(r"- (`+)[^`]*\1", problem), problem
    assert "\x07" not in text and not re.search(r"^rflow check passed", text, re.M)
    outside_code = re.sub(r"`[^`\n]*`", "", text)
    assert outside_code.count("</details>") == outside_code.count("<details>") == 1
    for raw in ("<img", "@all", "![](", "onerror"):
        assert raw not in outside_code, raw


def test_junit_with_a_control_character_is_well_formed_xml(hostile_repo, rflow) -> None:
    report = hostile_repo / "junit.xml"
    outcome = rflow("check", "H-007", "--junit", str(report))
    assert outcome.code == 1, outcome
    raw = report.read_bytes()
    root = ET.fromstring(raw)  # expat: strict XML 1.0, refuses any forbidden character
    failure = root.find(".//testcase[@name='H-007 plan']/failure")
    assert failure is not None
    assert r"rflow check passed\x07" in failure.text
    assert "\x07" not in raw.decode("utf-8")
