"""A deviation may add or tighten a registered prediction, or withdraw it; never remove or
loosen it (issue 21)."""

from __future__ import annotations

import pytest

from researchflow.base.frozen import replace
from researchflow.documents.plan import Prediction
from researchflow.verdicts.history import loosened

UP = Prediction("score", 1.0, "increase", 0.5, 0.01)
DOWN = Prediction("loss", 1.0, "decrease", 0.5, 0.01)
SAME = Prediction("drift", 1.0, "no_change", 0.5, 0.01)


class _Plan:
    def __init__(self, *predictions: Prediction) -> None:
        self.predictions = predictions


@pytest.mark.parametrize(
    ("old", "changes", "eased"),
    [
        (UP, {"min_effect": 0.1}, "min_effect 0.5 → 0.1"),
        (UP, {"baseline": 0.5}, "baseline 1 → 0.5"),
        (UP, {"tolerance": 0.1}, "tolerance 0.01 → 0.1"),
        (UP, {"direction": "no_change"}, "direction increase → no_change"),
        (DOWN, {"baseline": 2.0}, "baseline 1 → 2"),
        (SAME, {"min_effect": 0.9}, "min_effect 0.5 → 0.9"),
        (SAME, {"baseline": 0.9}, "baseline 1 → 0.9"),
    ],
)
def test_a_looser_prediction_is_named(old: Prediction, changes: dict, eased: str) -> None:
    new = replace(old, **changes)
    [finding] = loosened(_Plan(old), _Plan(new), "commit abc")  # type: ignore[arg-type]
    assert finding.field == "predictions[0]"
    assert finding.message.endswith(eased)


@pytest.mark.parametrize(
    ("old", "changes"),
    [
        (UP, {"min_effect": 0.9}),
        (UP, {"baseline": 1.5}),
        (UP, {"tolerance": 0.001}),
        (DOWN, {"baseline": 0.5}),
        (SAME, {"min_effect": 0.1}),
        (UP, {"withdrawn": True}),
    ],
)
def test_a_tighter_or_withdrawn_prediction_passes(old: Prediction, changes: dict) -> None:
    new = replace(old, **changes)
    assert loosened(_Plan(old), _Plan(new), "commit abc") == []  # type: ignore[arg-type]


def test_a_removed_prediction_is_named_and_an_added_one_is_not() -> None:
    [finding] = loosened(_Plan(UP, DOWN), _Plan(UP, SAME), "commit abc")  # type: ignore[arg-type]
    assert (finding.field, finding.message) == (
        "predictions",
        "commit abc removes the registered prediction on loss",
    )
