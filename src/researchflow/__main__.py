from __future__ import annotations

from researchflow.cli import main

if __name__ == "__main__":
    main()
