"""Every shape of repeats gets a verdict and a picture, never an internal error: identical
values (deterministic training) on either side of the baseline, one repeat, none at all
(every run failed), and values far from the baseline in either direction."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from researchflow.verdicts.figures import prediction_svg
from researchflow.verdicts.stats import Claim, estimate, judge_family

DIRECTIONS = st.sampled_from(["increase", "decrease", "no_change"])
SCALES = st.sampled_from([1e-9, 1e-3, 1.0, 1e3, 1e9])


@st.composite
def repeats(draw: st.DrawFn) -> tuple[list[float], float]:
    """(values, baseline): identical, one, spread, or far on either side."""
    scale = draw(SCALES)
    baseline = draw(st.floats(-1.0, 1.0, allow_nan=False)) * scale
    shape = draw(st.sampled_from(["identical", "one", "spread", "far"]))
    if shape == "one":
        return [baseline + draw(st.floats(-10, 10)) * scale], baseline
    n = draw(st.integers(2, 12))
    if shape == "identical":
        value = baseline + draw(st.floats(-10, 10)) * scale
        return [value] * n, baseline
    offset = draw(st.sampled_from([0.0, 1e3, -1e3])) if shape == "far" else 0.0
    spread = st.floats(-10, 10, allow_nan=False)
    return [baseline + (offset + draw(spread)) * scale for _ in range(n)], baseline


def judged(values: list[float], baseline: float, direction: str, min_effect: float):
    claim = Claim("score", baseline, direction, min_effect)
    est = estimate(values, baseline)
    [judgement] = judge_family(
        [claim], {"score": est}, alpha=0.05, repeats=len(values), repeats_registered=True
    )
    return claim, judgement


@settings(max_examples=80, deadline=None)
@given(shape=repeats(), direction=DIRECTIONS, min_effect=st.floats(0.0, 1.0))
def test_every_shape_of_repeats_gets_a_verdict_and_a_picture(
    shape: tuple[list[float], float], direction: str, min_effect: float
) -> None:
    values, baseline = shape
    claim, judgement = judged(values, baseline, direction, min_effect)

    svg = prediction_svg(claim, judgement)

    assert judgement.verdict in ("confirmed", "refuted", "inconclusive")
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    if judgement.interval is not None:
        assert not math.isnan(judgement.interval.low)


def test_identical_repeats_below_the_baseline_are_drawn_not_an_internal_error() -> None:
    claim, judgement = judged([0.1] * 3, 0.42, "increase", 0.02)  # the report

    assert judgement.verdict == "refuted"
    assert "</svg>" in prediction_svg(claim, judgement)


def test_every_run_failed_gives_no_estimate_and_no_picture() -> None:
    _, judgement = judged([math.nan, math.nan], 0.42, "increase", 0.02)

    assert judgement.estimate is None and judgement.verdict == "inconclusive"
