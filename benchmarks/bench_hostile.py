"""Times `rflow validate` on hostile plans and prints a table of medians against the target.

Target (issue 11): a 5 MB plan and the YAML alias bomb ("billion laughs", 9 levels of 9)
are each answered in under 0.5 s, whole process included. Run with `make bench`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fixtures.plans import GOOD_FRONT_MATTER, plan_text

RFLOW = [sys.executable, "-m", "researchflow"]
TARGET = 0.5


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['x0: &x0 "lol"']
    for level in range(1, levels + 1):
        lines.append(f"x{level}: &x{level} [{', '.join([f'*x{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


def plans() -> dict[str, str]:
    body = ("## Section\n" + "word " * 200 + "\n") * 5000
    big_front = GOOD_FRONT_MATTER + "".join(f"x-note-{i}: {'y' * 90}\n" for i in range(50_000))
    return {
        "5 MB plan (long body)": plan_text(body=body),
        "5 MB plan (front matter, refused)": plan_text(front_matter=big_front),
        "alias bomb (9 levels of 9)": plan_text(front_matter=GOOD_FRONT_MATTER + alias_bomb()),
        "front matter nested 600 deep": plan_text(
            front_matter=GOOD_FRONT_MATTER + "deep: " + "[" * 600 + "]" * 600 + "\n"
        ),
    }


def median_seconds(argv: list[str], cwd: Path, repeat: int = 5) -> tuple[float, int]:
    timings, code = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        code = subprocess.run(argv, cwd=cwd, capture_output=True).returncode
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), code


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        folder = root / "research" / "H-007-graded-target"
        folder.mkdir(parents=True)
        path = folder / "plan.qmd"
        seconds, code = median_seconds([*RFLOW, "--help"], root)
        rows.append(("(floor: rflow --help)", 0.0, seconds, code))
        for name, text in plans().items():
            path.write_text(text, encoding="utf-8")
            size = len(text.encode("utf-8")) / 1e6
            seconds, code = median_seconds([*RFLOW, "validate", str(path)], root)
            rows.append((name, size, seconds, code))
    print(f"{'rflow validate on':38} {'MB':>6} {'median s':>9} {'exit':>5}  target <= {TARGET} s")
    for name, size, seconds, code in rows:
        verdict = "ok" if seconds <= TARGET else "SLOW"
        print(f"{name:38} {size:6.2f} {seconds:9.3f} {code:5d}  {verdict}")


if __name__ == "__main__":
    main()
