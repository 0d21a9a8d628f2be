"""researchflow: a git-native tracker for hypothesis-driven ML research.

The public Python API is `researchflow.run` (runs/tracking.linked_run), loaded on first use:
`import researchflow` imports nothing heavy.
"""

from __future__ import annotations

from researchflow.base import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from researchflow.runs.tracking import linked_run as run

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "run":
        from researchflow.runs.tracking import linked_run

        return linked_run
    raise AttributeError(f"module 'researchflow' has no attribute {name!r}")


__all__ = ["__version__", "run"]
