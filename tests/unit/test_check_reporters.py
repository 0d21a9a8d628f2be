"""The check's outputs: table, JSON, JUnit XML and the Markdown note (pure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from researchflow.base.errors import EXIT_CHECK_FAILED, EXIT_OK, EXIT_SERVICE
from researchflow.base.problems import Problem
from researchflow.checks import reporters
from researchflow.checks.model import (
    FAIL,
    LEVELS,
    CheckReport,
    CheckResult,
    judged,
    passed,
    skipped,
)

STALE = Problem(
    "research/H-002-b/runs.yaml",
    4,
    "runs[0].data.data/x.csv",
    "stale evidence: data/x.csv changed since run abc",
    "rerun the experiment",
)


def report_with(failing: dict[str, list[Problem]] | None = None) -> CheckReport:
    failing = failing or {}
    results = []
    for hypothesis in ("H-001", "H-002"):
        for level in LEVELS:
            if level == "rerun":
                results.append(skipped(hypothesis, level, "not requested: add --rerun"))
            elif f"{hypothesis} {level}" in failing:
                results.append(judged(hypothesis, level, failing[f"{hypothesis} {level}"]))
            else:
                results.append(passed(hypothesis, level, "fine"))
    return CheckReport(tuple(results), ("H-001", "H-002"))


def test_a_report_without_failures_exits_zero() -> None:
    assert report_with().exit_code == EXIT_OK


def test_a_failed_check_exits_one() -> None:
    assert report_with({"H-002 provenance": [STALE]}).exit_code == EXIT_CHECK_FAILED


def test_only_an_unreachable_store_exits_three() -> None:
    down = CheckResult("H-001", "provenance", FAIL, (STALE,), "", service_down=True)
    assert CheckReport((down,), ("H-001",)).exit_code == EXIT_SERVICE
    real = judged("H-001", "plan", [STALE])
    assert CheckReport((down, real), ("H-001",)).exit_code == EXIT_CHECK_FAILED


def test_table_marks_the_failing_check_and_lists_its_problems() -> None:
    text = reporters.to_text(report_with({"H-002 provenance": [STALE]}))
    header, first, second = text.splitlines()[:3]
    assert header.split() == ["hypothesis", *LEVELS]
    assert first.split()[0] == "H-001" and "FAIL" not in first
    assert second.split()[LEVELS.index("provenance") + 1] == "FAIL"
    assert "H-002 provenance: failed" in text
    assert str(STALE) in text
    assert text.rstrip().endswith("(2 hypotheses)")
    assert "FAILED" in text.splitlines()[-1]


def test_json_lists_every_check_with_its_problems() -> None:
    data = reporters.to_json(report_with({"H-002 provenance": [STALE]}))
    assert data["ok"] is False and data["exit_code"] == 1
    failed = [c for c in data["checks"] if c["status"] == "fail"]
    assert [(c["hypothesis"], c["check"]) for c in failed] == [("H-002", "provenance")]
    assert failed[0]["problems"][0]["field"] == "runs[0].data.data/x.csv"
    assert len(data["checks"]) == 2 * len(LEVELS)


def test_junit_has_a_testcase_per_check_per_hypothesis_naming_the_failing_check() -> None:
    xml = reporters.to_junit(report_with({"H-002 provenance": [STALE]}))
    root = ET.fromstring(xml)
    cases = root.findall(".//testcase")
    assert len(cases) == 2 * len(LEVELS)
    assert root.get("tests") == str(2 * len(LEVELS)) and root.get("failures") == "1"
    failing = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == ["H-002 provenance"]
    failure = failing[0].find("failure")
    assert failure.get("message").startswith("provenance check failed: ")
    assert "stale evidence" in failure.get("message")
    assert str(STALE) in failure.text
    skipped_cases = [c for c in cases if c.find("skipped") is not None]
    assert {c.get("name") for c in skipped_cases} == {"H-001 rerun", "H-002 rerun"}


HOSTILE = [
    '<script>&"',
    "]]>",
    "a\x1bb",
    "\x1b[31mred\x1b[0m",
    "".join(chr(c) for c in range(0x20)),
    "end\ufffe\uffff",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_junit_stays_well_formed_whatever_the_message(hostile: str) -> None:
    problem = Problem("p", 1, "f", hostile, hostile)
    xml = reporters.to_junit(report_with({"H-001 plan": [problem]}))
    failure = ET.fromstring(xml.encode("utf-8")).find(".//failure")  # expat: strict XML 1.0
    assert failure is not None
    assert "\x1b" not in (failure.text or "")


def test_junit_drops_colour_codes_and_names_other_control_characters() -> None:
    problem = Problem("p", 1, "f", "\x1b[31mNameError\x1b[0m at\x00", "fix")
    xml = reporters.to_junit(report_with({"H-001 plan": [problem]}))
    failure = ET.fromstring(xml.encode("utf-8")).find(".//failure")
    assert "NameError at\\x00" in failure.get("message")


def test_markdown_note_has_the_marker_a_table_and_the_failures() -> None:
    text = reporters.to_markdown(report_with({"H-002 provenance": [STALE]}))
    assert text.startswith(reporters.NOTE_MARKER)
    assert "❌" in text.splitlines()[1]
    assert "| hypothesis | " + " | ".join(LEVELS) + " |" in text
    assert "**H-002 provenance** failed" in text
    assert "stale evidence" in text


def test_markdown_shows_problems_as_code_so_nothing_in_them_renders() -> None:
    problem = Problem("p", 1, "f", "a | b", "c")
    text = reporters.to_markdown(report_with({"H-001 plan": [problem]}))
    assert "- `p:1: f: a | b (c)`" in text


def test_nothing_to_check_is_said_plainly() -> None:
    report = CheckReport((), (), ("no hypothesis changed: nothing to check",))
    assert report.exit_code == EXIT_OK
    text = reporters.to_text(report)
    assert "no hypothesis changed" in text
    assert ET.fromstring(reporters.to_junit(report)).get("tests") == "0"
