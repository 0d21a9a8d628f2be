"""`rflow power [ID]`: how many repeats the plan needs, from the spread of the runs so far."""

from __future__ import annotations

from typing import Any

from researchflow.base.frozen import frozen
from researchflow.base.names import RUNS_FILE
from researchflow.documents.config import Config
from researchflow.documents.runlog import read_runs
from researchflow.process.hypotheses import open_plan
from researchflow.verdicts.power import PowerRow, power_rows


@frozen
class PowerResult:
    hypothesis_id: str
    registered: int
    rows: tuple[PowerRow, ...]

    @property
    def needed(self) -> int | None:
        counts = [row.needed for row in self.rows if row.needed is not None]
        return max(counts) if counts else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.hypothesis_id,
            "registered": self.registered,
            "needed": self.needed,
            "predictions": [row.to_json() for row in self.rows],
        }

    def to_text(self) -> str:
        lines = [f"{self.hypothesis_id}: repeats for 80% power, from the runs made so far"]
        lines += [f"  {row.to_text()}" for row in self.rows]
        if self.needed is not None:
            lines.append(
                f"  register at least evaluation: {{repeats: {self.needed}}} in the plan "
                "before review"
                if self.registered < self.needed
                else f"  the registered {self.registered} repeats are enough"
            )
        return "\n".join(lines)


def power(config: Config, hypothesis_id: str | None) -> PowerResult:
    opened = open_plan(config, hypothesis_id)
    runs = read_runs(opened.folder / RUNS_FILE).runs
    rows = tuple(power_rows(opened.plan, runs))
    return PowerResult(opened.id, opened.plan.evaluation.repeats, rows)
