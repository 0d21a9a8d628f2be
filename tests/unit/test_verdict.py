"""Verdicts follow from the prediction's direction and minimum effect."""

from __future__ import annotations

import math

import pytest

from researchflow.documents.plan import Prediction
from researchflow.verdicts.verdict import judge


def prediction(direction: str, min_effect: float = 0.02) -> Prediction:
    return Prediction("recall_at_10", 0.42, direction, min_effect, 0.005)


CASES = [
    # direction, min_effect, observed, verdict
    ("increase", 0.02, 0.45, "confirmed"),
    ("increase", 0.02, 0.44, "confirmed"),  # exactly min_effect, despite float rounding
    ("increase", 0.02, 0.43, "inconclusive"),
    ("increase", 0.02, 0.42, "refuted"),
    ("increase", 0.02, 0.40, "refuted"),
    ("increase", 0.0, 0.42, "refuted"),  # no change is not an increase
    ("increase", 0.0, 0.4201, "confirmed"),
    ("decrease", 0.02, 0.39, "confirmed"),
    ("decrease", 0.02, 0.40, "confirmed"),
    ("decrease", 0.02, 0.41, "inconclusive"),
    ("decrease", 0.02, 0.42, "refuted"),
    ("decrease", 0.02, 0.50, "refuted"),
    ("no_change", 0.02, 0.42, "confirmed"),
    ("no_change", 0.02, 0.435, "confirmed"),
    ("no_change", 0.02, 0.40, "confirmed"),
    ("no_change", 0.02, 0.45, "refuted"),
    ("no_change", 0.02, 0.39, "refuted"),
    ("increase", 0.02, None, "inconclusive"),
    ("no_change", 0.02, None, "inconclusive"),
    ("increase", 0.02, math.nan, "inconclusive"),
]


@pytest.mark.parametrize(("direction", "min_effect", "observed", "expected"), CASES)
def test_verdict_follows_direction_and_min_effect(
    direction: str, min_effect: float, observed: float | None, expected: str
) -> None:
    assert judge(prediction(direction, min_effect), observed).verdict == expected


def test_effect_is_observed_minus_baseline() -> None:
    verdict = judge(prediction("decrease"), 0.39)
    assert verdict.effect == pytest.approx(-0.03)
    assert verdict.baseline == 0.42
    assert verdict.observed == 0.39


def test_nothing_observed_has_no_effect() -> None:
    assert judge(prediction("increase"), None).effect is None
