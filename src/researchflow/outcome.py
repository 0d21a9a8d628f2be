"""The plan's `outcome` against the report's verdicts (pure).

A hypothesis is confirmed when every prediction is, refuted when any prediction is, and
inconclusive otherwise. The plan's `outcome` must say the same, or its `conclusion` must
name the report's verdict and say why it is overruled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

CONFIRMED = "confirmed"
REFUTED = "refuted"
INCONCLUSIVE = "inconclusive"
VERDICTS = (CONFIRMED, REFUTED, INCONCLUSIVE)
# a generated results-block row ends `| **verdict** | run |`
_ROW = re.compile(r"^\|\s*([^|]+?)\s*\|.*\|\s*\*\*(confirmed|refuted|inconclusive)\*\*\s*\|")


def combined(verdicts: Mapping[str, str]) -> str:
    """One word for the hypothesis from its predictions' verdicts."""
    values = list(verdicts.values())
    if not values:
        return INCONCLUSIVE
    if any(v == REFUTED for v in values):
        return REFUTED
    if all(v == CONFIRMED for v in values):
        return CONFIRMED
    return INCONCLUSIVE


def report_verdicts(front_matter: Mapping[str, Any], text: str = "") -> dict[str, str]:
    """metric → verdict the report states: its `verdicts:` field, else its results table."""
    stated = front_matter.get("verdicts")
    if isinstance(stated, dict) and stated:
        return {str(k): str(v) for k, v in stated.items() if v in VERDICTS}
    found: dict[str, str] = {}
    for line in text.split("\n"):
        match = _ROW.match(line.strip())
        if match and match.group(1) not in ("Prediction",):
            found.setdefault(match.group(1), match.group(2))
    return found


def disagreement(
    outcome: str | None, conclusion: str | None, verdicts: Mapping[str, str]
) -> str | None:
    """Why `outcome` contradicts the report (one phrase), or None when it agrees or is
    explained: a conclusion that names the report's verdict says why it is overruled."""
    if outcome is None or not verdicts:
        return None
    stated = combined(verdicts)
    if outcome == stated:
        return None
    if conclusion and re.search(rf"\b{stated}\b", conclusion, re.IGNORECASE):
        return None
    return f"outcome {outcome} disagrees with the report's verdict {stated} ({_list(verdicts)})"


def _list(verdicts: Mapping[str, str]) -> str:
    return ", ".join(f"{metric}: {verdict}" for metric, verdict in verdicts.items())
