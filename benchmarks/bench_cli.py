"""Times the commands that run on every commit and prints a table of medians and ratios.

Targets (issue 2, tightened by issue 24): `rflow --help` <= 0.5x `dvc --help`; `rflow
validate` of one plan <= 0.10 s; of 2,000 plans in one call <= 2 s. Run with `make bench`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fixtures.plans import plan_text

RFLOW = [sys.executable, "-m", "researchflow"]
DVC = [sys.executable, "-m", "dvc"]


def median_seconds(argv: list[str], cwd: Path, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def make_repo(root: Path, plans: int) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for number in range(1, plans + 1):
        hypothesis_id = f"H-{number:03d}"
        folder = root / "research" / f"{hypothesis_id}-bench"
        folder.mkdir(parents=True)
        (folder / "plan.qmd").write_text(plan_text(hypothesis_id), encoding="utf-8")
    return root


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        one = make_repo(Path(scratch) / "one", 1)
        many = make_repo(Path(scratch) / "many", 2000)
        rows = [
            ("python -c 'import yaml' (floor)", [sys.executable, "-c", "import yaml"], one, 9),
            ("dvc --help", [*DVC, "--help"], one, 5),
            ("rflow --help", [*RFLOW, "--help"], one, 9),
            ("rflow validate (1 plan)", [*RFLOW, "validate"], one, 9),
            ("rflow validate (2,000 plans)", [*RFLOW, "validate"], many, 3),
        ]
        results = {name: median_seconds(argv, cwd, n) for name, argv, cwd, n in rows}
    floor = results["python -c 'import yaml' (floor)"]
    dvc = results["dvc --help"]
    targets = {
        "rflow --help": ("<= 0.5x dvc --help", results["rflow --help"] <= 0.5 * dvc),
        "rflow validate (1 plan)": ("<= 0.100 s", results["rflow validate (1 plan)"] <= 0.10),
        "rflow validate (2,000 plans)": (
            "<= 2.000 s",
            results["rflow validate (2,000 plans)"] <= 2,
        ),
    }
    print(f"{'command':34} {'median s':>9} {'x floor':>8} {'x dvc':>7}  target")
    for name, seconds in results.items():
        target, met = targets.get(name, ("", True))
        verdict = f"{target} {'ok' if met else 'MISSED'}" if target else ""
        print(f"{name:34} {seconds:9.3f} {seconds / floor:8.2f} {seconds / dvc:7.2f}  {verdict}")


if __name__ == "__main__":
    main()
