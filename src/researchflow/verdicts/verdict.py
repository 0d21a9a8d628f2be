"""A prediction against an observed value → confirmed, refuted or inconclusive (pure)."""

from __future__ import annotations

import math

from researchflow.base.frozen import frozen
from researchflow.base.output import fields_json
from researchflow.documents.plan import Prediction

CONFIRMED = "confirmed"
REFUTED = "refuted"
INCONCLUSIVE = "inconclusive"
# metrics arrive as floats: 0.44 - 0.42 must count as an effect of 0.02
_EPSILON = 1e-9


@frozen
class Verdict:
    verdict: str  # confirmed | refuted | inconclusive
    effect: float | None  # observed - baseline; None when nothing was observed
    observed: float | None
    baseline: float

    def to_json(self) -> dict[str, object]:
        return fields_json(self)


def judge(prediction: Prediction, observed: float | None) -> Verdict:
    """The verdict by the prediction's direction and minimum effect.

    increase: confirmed when the effect reaches min_effect, refuted when there is no increase
    at all (effect ≤ 0), inconclusive in between; decrease mirrors it; no_change: confirmed
    when |effect| ≤ min_effect, else refuted. Nothing observed: inconclusive.
    """
    baseline = prediction.baseline
    if observed is None or math.isnan(observed):
        return Verdict(INCONCLUSIVE, None, observed, baseline)
    effect = observed - baseline
    min_effect = prediction.min_effect
    if prediction.direction == "no_change":
        verdict = CONFIRMED if abs(effect) <= min_effect + _EPSILON else REFUTED
        return Verdict(verdict, effect, observed, baseline)
    gain = effect if prediction.direction == "increase" else -effect
    # refuted first: with min_effect 0, "no change at all" is not an increase
    if gain <= _EPSILON:
        verdict = REFUTED
    elif gain >= min_effect - _EPSILON:
        verdict = CONFIRMED
    else:
        verdict = INCONCLUSIVE
    return Verdict(verdict, effect, observed, baseline)
