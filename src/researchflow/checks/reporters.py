"""A CheckReport as a table for people, JSON, JUnit XML (GitLab's test report) and the
Markdown summary CI posts on the merge request (pure)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from researchflow.base.safetext import markdown_code, markdown_text, terminal, xml_text
from researchflow.checks.model import FAIL, GATE, LEVELS, PASS, SKIP, CheckReport, CheckResult

NOTE_MARKER = "<!-- rflow:check -->"  # finds the sticky merge-request note again
_CELL = {PASS: "ok", FAIL: "FAIL", SKIP: "skip"}
_ICON = {PASS: "✅", FAIL: "❌", SKIP: "➖"}


def summary_line(report: CheckReport) -> str:
    total = len(report.results)
    failed = len(report.failed)
    if not report.hypotheses:
        return "rflow check: no hypothesis to check"
    skipped = sum(1 for r in report.results if r.status == SKIP)
    counts = f"{total - failed - skipped} passed, {failed} failed, {skipped} skipped"
    verdict = "FAILED" if failed else "passed"
    number = len(report.hypotheses)
    return f"rflow check {verdict}: {counts} ({number} hypothes{'is' if number == 1 else 'es'})"


RUN_USERS = (
    "a confirmatory run counts as the executor's when the user `rflow run` recorded is the "
    "executor, and that user is what the person running it claimed (RFLOW_USER or git's "
    "user.name), in every identity mode"
)
IDENTITY = {
    "author": (
        "identity mode author: an approval counts when its commit's author is the approver, "
        "and commit authors can be forged (GIT_AUTHOR_NAME); to verify approvers set "
        "`identity: {mode: gitlab}` or `identity: {mode: signature}` in researchflow.yaml"
    ),
    "gitlab": (
        "identity mode gitlab: each approver is a GitLab username (or user id) that GitLab "
        "lists as having approved the merge request"
    ),
    "signature": (
        "identity mode signature: each approval commit is signed by the approver's key in "
        "the allowed-signers file on the target branch"
    ),
}


def identity_line(report: CheckReport) -> str:
    """One line naming the identity mode in force (and, in author mode, its weakness), and
    what a run's recorded user proves in every mode."""
    if not report.identity:
        return ""
    return f"{IDENTITY.get(report.identity, f'identity mode {report.identity}')}; {RUN_USERS}"


def _levels(report: CheckReport) -> list[str]:
    present = {r.level for r in report.results}
    return [level for level in (GATE, *LEVELS) if level in present]


def to_text(report: CheckReport) -> str:
    lines = [terminal(note) for note in report.notes]
    levels = _levels(report)
    if report.hypotheses and levels:
        width = max(len("hypothesis"), *(len(h) for h in report.hypotheses))
        widths = [max(len(level), 4) for level in levels]
        header = [
            "hypothesis".ljust(width),
            *(lv.ljust(w) for lv, w in zip(levels, widths, strict=True)),
        ]
        lines.append("  ".join(header).rstrip())
        for hypothesis in report.hypotheses:
            cells = [hypothesis.ljust(width)]
            for level, w in zip(levels, widths, strict=True):
                result = report.result(hypothesis, level)
                cells.append((_CELL[result.status] if result else "").ljust(w))
            lines.append("  ".join(cells).rstrip())
    for result in report.failed:
        lines.append("")
        lines.append(terminal(f"{result.name}: failed"))
        lines.extend(f"  {problem}" for problem in result.problems)
    skips = [r for r in report.results if r.status == SKIP and r.detail]
    if skips:
        lines.append("")
        lines.extend(terminal(f"{r.name}: skipped ({r.detail})") for r in skips)
    lines.append("")
    if identity_line(report):
        lines.append(terminal(identity_line(report)))
    lines.append(summary_line(report))
    return "\n".join(lines).lstrip("\n")


def to_json(report: CheckReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "exit_code": report.exit_code,
        "hypotheses": list(report.hypotheses),
        "checks": [r.to_json() for r in report.results],
        "notes": list(report.notes),
        "identity": {"mode": report.identity, "note": identity_line(report)},
    }


def _failure_message(result: CheckResult) -> str:
    first = str(result.problems[0]) if result.problems else result.detail
    more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
    return f"{result.level} check failed: {first}{more}"


xml_safe = xml_text  # text a strict XML parser accepts (see safetext)


def to_junit(report: CheckReport) -> str:
    """One testcase per check per hypothesis; a failing check's name is in the testcase
    name and in the failure message, which is what GitLab's MR widget shows."""
    suites = ET.Element("testsuites", name="rflow check")
    _counts(suites, report.results)
    for hypothesis in report.hypotheses:
        results = report.for_hypothesis(hypothesis)
        suite = ET.SubElement(suites, "testsuite", name=f"rflow check {hypothesis}")
        _counts(suite, results)
        if report.identity:
            properties = ET.SubElement(suite, "properties")
            ET.SubElement(properties, "property", name="identity.mode", value=report.identity)
        for result in results:
            case = ET.SubElement(
                suite, "testcase", classname=f"rflow.check.{hypothesis}", name=result.name
            )
            case.set("time", "0")
            if result.level == "registration" and identity_line(report):
                ET.SubElement(case, "system-err").text = xml_safe(identity_line(report))
            if result.status == FAIL:
                failure = ET.SubElement(
                    case, "failure", message=xml_safe(_failure_message(result)), type=result.level
                )
                failure.text = xml_safe("\n".join(str(p) for p in result.problems) or result.detail)
            elif result.status == SKIP:
                ET.SubElement(case, "skipped", message=xml_safe(result.detail or "skipped"))
            elif result.detail:
                ET.SubElement(case, "system-out").text = xml_safe(result.detail)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _counts(element: ET.Element, results: tuple[CheckResult, ...]) -> None:
    element.set("tests", str(len(results)))
    element.set("failures", str(sum(r.status == FAIL for r in results)))
    element.set("errors", "0")
    element.set("skipped", str(sum(r.status == SKIP for r in results)))


def _md(text: str) -> str:
    """A problem or detail from a file as inline code: no HTML, mention, link, image or
    `</details>` in it is rendered by GitLab, and no newline breaks the list item."""
    return markdown_code(text)


def to_markdown(report: CheckReport) -> str:
    icon = "✅" if report.ok else "❌"
    lines = [NOTE_MARKER, f"### {icon} {summary_line(report)}", ""]
    lines.extend(f"_{markdown_text(note)}_" for note in report.notes)
    if identity_line(report):
        lines += [f"_{markdown_text(identity_line(report))}_", ""]
    levels = _levels(report)
    if report.hypotheses and levels:
        lines.append("| hypothesis | " + " | ".join(levels) + " |")
        lines.append("|---|" + "---|" * len(levels))
        for hypothesis in report.hypotheses:
            cells = []
            for level in levels:
                result = report.result(hypothesis, level)
                cells.append(_ICON[result.status] if result else "")
            lines.append(f"| {markdown_text(hypothesis)} | " + " | ".join(cells) + " |")
    for result in report.failed:
        lines += ["", f"**{markdown_text(result.name)}** failed:", ""]
        lines.extend(f"- {_md(str(problem))}" for problem in result.problems)
    skips = [r for r in report.results if r.status == SKIP and r.detail]
    if skips:
        lines += ["", "<details><summary>Skipped checks</summary>", ""]
        lines.extend(f"- {markdown_text(r.name)}: {_md(r.detail)}" for r in skips)
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _json_text(report: CheckReport) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


def _plain_text(report: CheckReport) -> str:
    return to_text(report) + "\n"


# The one place to add an output format: `rflow check --report NAME=FILE` writes any of
# these (SARIF would be one more entry).
RENDERERS: dict[str, Callable[[CheckReport], str]] = {
    "junit": to_junit,
    "markdown": to_markdown,
    "json": _json_text,
    "text": _plain_text,
}


def render(name: str, report: CheckReport) -> str:
    """The report in format `name` (a key of RENDERERS)."""
    return RENDERERS[name](report)
