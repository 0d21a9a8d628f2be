"""researchflow: a git-native tracker for hypothesis-driven ML research.

The public Python API lives here and imports nothing heavy at import time.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
