"""The generated results block: deterministic, honest about every run, easy to find again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.plans import plan_text
from fixtures.run_entries import run_entry

from researchflow.base.frozen import replace
from researchflow.documents.plan import Approval, Deviation
from researchflow.documents.plan_rules import read_plan
from researchflow.verdicts.evidence import classify, primary_run
from researchflow.views.report import (
    BEGIN,
    END,
    extract_results_block,
    render_results_block,
    replace_results_block,
)
from researchflow.views.report_inputs import ReportInputs

GOOD = "a" * 40
DIGESTS = {GOOD: "sha256:approved"}


def inputs(*, observed: float | None = 0.45, deviations=(), links=None) -> ReportInputs:
    plan = read_plan(plan_text(), "plan.qmd").plan
    plan = replace(
        plan,
        approval=Approval("dave", "2026-11-23T10:00:00Z", "sha256:approved"),
        deviations=tuple(deviations),
    )
    runs = [
        run_entry("0" * 31 + "1", commit=GOOD, started="2026-11-23T09:00:00Z"),
        run_entry("0" * 31 + "2", commit=GOOD, started="2026-11-23T11:00:00Z", status="FAILED"),
        run_entry("0" * 31 + "3", commit=GOOD, started="2026-11-23T12:00:00Z", dirty=True),
        run_entry("0" * 31 + "4", commit=GOOD, started="2026-11-23T13:00:00Z"),
    ]
    classified = tuple(classify(plan, runs, DIGESTS))
    primary = primary_run(classified)
    metrics = {} if observed is None else {"recall_at_10": observed}
    return ReportInputs(
        hypothesis_id="H-007",
        plan=plan,
        classified=classified,
        primary_run=primary,
        observed=metrics,
        in_store=frozenset(r.run_id for r in runs),
        links=links or {},
    )


def test_block_shows_prediction_observed_effect_and_verdict() -> None:
    block = render_results_block(inputs())
    assert block.startswith(BEGIN + "\n") and block.endswith("\n" + END)
    row = next(line for line in block.splitlines() if line.startswith("| recall_at_10"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells == [
        "recall_at_10",
        "increase",
        "0.42",
        "0.45",
        "1",
        "+0.03",
        "",  # one run has no interval
        "0.02",
        "**confirmed**",
        f"`{'0' * 31}4`",
    ]


def test_block_counts_every_run_tried_and_says_why_each_is_exploratory() -> None:
    block = render_results_block(inputs())
    assert "**Runs tried:** 4 in all (1 failed, 1 dirty): 1 confirmatory, 3 exploratory" in block
    assert "started before the approval" in block
    assert "ended FAILED" in block
    assert "dirty working tree" in block


def test_block_lists_every_deviation() -> None:
    deviation = Deviation("2026-11-24T09:00:00Z", "carol", "window\nmoved a week", "sha256:x")
    block = render_results_block(inputs(deviations=[deviation]))
    assert "- 2026-11-24T09:00:00Z by carol: window moved a week" in block


def test_block_without_confirmatory_run_is_inconclusive() -> None:
    base = inputs()
    only_exploratory = tuple(c for c in base.classified if not c.confirmatory)
    block = render_results_block(
        replace(base, classified=only_exploratory, primary_run=None, observed={})
    )
    assert "**inconclusive**" in block
    assert "no confirmatory run" in block.lower()


def test_metric_the_run_did_not_log_is_shown_and_inconclusive() -> None:
    block = render_results_block(inputs(observed=None))
    assert "| not logged |" in block
    assert "**inconclusive**" in block


def test_server_store_runs_link_to_the_mlflow_ui() -> None:
    link = "http://mlflow.example:5000/#/experiments/1/runs/" + "0" * 31 + "4"
    block = render_results_block(inputs(links={"0" * 31 + "4": link}))
    assert f"[`{'0' * 31}4`]({link})" in block


def test_block_is_the_same_in_every_process() -> None:
    """Set and dict order vary with the hash seed between processes; the block must not."""
    code = (
        "import hashlib, sys\n"
        "sys.path[:0] = sys.argv[1:]\n"
        "from test_report_block import inputs, render_results_block\n"
        "print(hashlib.sha256(render_results_block(inputs()).encode()).hexdigest())\n"
    )
    here = Path(__file__).parent
    digests = {
        subprocess.run(
            [sys.executable, "-c", code, str(here), str(here.parent)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1


REPORT = f"""---
title: x
id: H-007
---

## Summary

Words a human wrote.\u00a0Keep   them.

## Results

{BEGIN}
old numbers
{END}

More human words.
"""


def test_extract_finds_the_block_with_its_markers() -> None:
    assert extract_results_block(REPORT) == f"{BEGIN}\nold numbers\n{END}"


@pytest.mark.parametrize(
    "broken",
    [
        REPORT.replace(BEGIN, ""),
        REPORT.replace(END, ""),
        REPORT.replace(END, f"{END}\n{BEGIN}\n{END}"),
        REPORT.replace(f"{BEGIN}\nold numbers\n{END}", f"{END}\nold numbers\n{BEGIN}"),
    ],
    ids=["no begin", "no end", "two blocks", "reversed"],
)
def test_missing_or_repeated_markers_have_no_block(broken: str) -> None:
    assert extract_results_block(broken) is None
    assert replace_results_block(broken, "new") is None


def test_replace_keeps_every_other_byte() -> None:
    block = render_results_block(inputs())
    updated = replace_results_block(REPORT, block)
    assert updated == REPORT.replace(f"{BEGIN}\nold numbers\n{END}", block)
    assert extract_results_block(updated) == block


def test_replace_keeps_windows_line_endings() -> None:
    crlf = REPORT.replace("\n", "\r\n")
    updated = replace_results_block(crlf, f"{BEGIN}\nnew\n{END}")
    assert updated == crlf.replace("old numbers", "new")
