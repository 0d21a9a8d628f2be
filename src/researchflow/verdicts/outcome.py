"""The plan's `outcome` against the report's verdicts (pure).

A hypothesis is confirmed when every prediction is, refuted when any prediction is, and
inconclusive otherwise. The plan's `outcome` must say the same: no word in the conclusion
overrules the verdicts, and `confirmed` needs a confirmatory experiment behind it.
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
    outcome: str | None, verdicts: Mapping[str, str], confirmatory: int | None = None
) -> str | None:
    """Why `outcome` contradicts the verdicts (one phrase), or None when it agrees.

    `confirmatory`: how many confirmatory experiments the verdicts rest on, when known (the
    gate counts them from the store); `confirmed` without one is never the outcome."""
    if outcome is None:
        return None
    if outcome == CONFIRMED and confirmatory == 0:
        return "outcome confirmed, but no confirmatory run backs any verdict"
    if not verdicts:
        return None
    stated = combined(verdicts)
    if outcome == stated:
        return None
    return f"outcome {outcome} disagrees with the report's verdict {stated} ({_list(verdicts)})"


def _list(verdicts: Mapping[str, str]) -> str:
    return ", ".join(f"{metric}: {verdict}" for metric, verdict in verdicts.items())
