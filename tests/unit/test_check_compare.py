"""Pure parts of the check: rerun metrics against the report, report blocks line by line."""

from __future__ import annotations

import pytest

from researchflow.checks.report import first_difference
from researchflow.checks.rerun import compare
from researchflow.documents.plan import Prediction

SCORE = Prediction("score", 1.0, "increase", 0.5, 0.01)
LOSS = Prediction("loss", 0.3, "decrease", 0.05, 0.0)


@pytest.mark.parametrize(
    ("observed", "mismatched"),
    [
        ({"score": 2.0, "loss": 0.2}, []),
        ({"score": 2.0099, "loss": 0.2}, []),  # inside the tolerance
        ({"score": 1.98, "loss": 0.2}, ["score"]),  # outside it
        ({"score": 2.0, "loss": 0.2000001}, ["loss"]),  # tolerance 0 means exact
        ({"score": 2.0}, ["loss"]),  # the rerun did not log it
        ({}, ["score", "loss"]),
    ],
)
def test_rerun_metrics_must_match_within_each_tolerance(observed, mismatched) -> None:
    reported = {"score": 2.0, "loss": 0.2}
    assert [m.metric for m in compare((SCORE, LOSS), reported, observed)] == mismatched


def test_a_metric_missing_from_the_report_cannot_be_reproduced() -> None:
    [mismatch] = compare((SCORE,), {}, {"score": 2.0})
    assert str(mismatch) == "score 2 vs reported missing (tolerance 0.01)"


def test_a_metric_neither_the_run_nor_its_rerun_logged_is_no_mismatch() -> None:
    # nothing to reproduce: never a reason to call the experiment non-deterministic
    assert compare((SCORE, LOSS), {"score": 2.0}, {"score": 2.0}) == []


@pytest.mark.parametrize(
    ("found", "expected", "difference"),
    [
        ("a\nb\n", "a\nb", None),
        ("a  \nb", "a\nb", None),  # trailing blanks are not a difference
        ("a\nb 0.45\nc", "a\nb 0.42\nc", (1, "b 0.45", "b 0.42")),
        ("a\nb", "a\nb\nc", (2, "", "c")),
    ],
)
def test_first_difference_points_at_the_line(found, expected, difference) -> None:
    assert first_difference(found, expected) == difference
