"""researchflow: a git-native tracker for hypothesis-driven ML research.

The public Python API lives here and imports nothing heavy at import time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from researchflow.runs.tracking import ActiveRun

__version__ = "0.1.0"


@contextmanager
def run(
    hypothesis_id: str | None = None,
    *,
    allow_dirty: bool = False,
    command: Sequence[str] | None = None,
    root: Path | str | None = None,
    record: bool = True,
) -> Iterator[ActiveRun]:
    """An MLflow run linked to a hypothesis, for notebooks and scripts.

    Inside the block the run is MLflow's active run, so `mlflow.log_metric(...)` lands in
    it. It carries the same tags as `rflow run` and ends FINISHED, FAILED (an exception) or
    KILLED (KeyboardInterrupt), with an entry appended to the hypothesis's runs.yaml.
    `command` is what a rerun would execute (default: `python <script> <args>`).

    Example:
        with researchflow.run("H-007") as active:
            mlflow.log_metric("recall_at_10", 0.45)
    """
    from researchflow.runs.tracking import linked_run

    with linked_run(
        hypothesis_id, allow_dirty=allow_dirty, command=command, root=root, record=record
    ) as active:
        yield active


__all__ = ["__version__", "run"]
