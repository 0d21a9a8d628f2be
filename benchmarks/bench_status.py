"""Times `rflow status` over 500 hypothesis branches and prints a table of medians.

Target (issues 6, 13, 24): `rflow status` over 500 hypothesis branches, cold, in at most
0.3 s, with each plan's `serves` and the problem statement on main read. The branches are
made with `git fast-import`; "cold" is a repository without `.rflow/`, so every plan is
parsed on every call (on two processors when there are two: each process reads half of
the branches, views/portfolio_reader.py; the "1 CPU" row pins it to one, where taskset
exists); "warm" has `.rflow/` (after `rflow init`),
where plans whose git blob did not change are remembered from the previous call.
Run with `python benchmarks/bench_status.py [BRANCHES] [REPEAT]`.
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fixtures.hypothesis_branches import Hyp, add_hypotheses, commit_on_main
from fixtures.problems import write_problem

RFLOW = [sys.executable, "-m", "researchflow"]
STATUSES = ("draft", "review", "approved", "running", "reported", "concluded")
TARGET_SECONDS = 0.3


def make_repo(root: Path, branches: int) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    today = dt.date.today()
    write_problem(root)  # issue 13: status reads the agreed problem statement and `serves`
    commit_on_main(
        root,
        [
            Hyp(n, slug=f"merged-{n}", status="concluded", outcome="refuted", conclusion="No.")
            for n in range(1, 21)
        ],
    )
    hyps = []
    for n in range(100, 100 + branches):
        status = STATUSES[n % len(STATUSES)]
        hyps.append(
            Hyp(
                n,
                slug=f"idea-{n}",
                title=f"Idea {n} improves recall",
                status=status,
                outcome="confirmed" if status in ("reported", "concluded") else None,
                executor=f"person{n % 40}",
                rice=(n % 5 + 1, 3, 2, 3),
                created=today - dt.timedelta(days=n % 40),
                runs=n % 5,
                front=("serves: [recall_at_10]",),
            )
        )
    add_hypotheses(root, hyps)
    return root


def timings(argv: list[str], cwd: Path, repeat: int) -> list[float]:
    result = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result.append(time.perf_counter() - started)
    return result


def main() -> None:
    branches = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    taskset = shutil.which("taskset")
    with tempfile.TemporaryDirectory() as scratch:
        cold = make_repo(Path(scratch) / "cold", branches)
        warm = make_repo(Path(scratch) / "warm", branches)
        (warm / ".rflow").mkdir()
        subprocess.run([*RFLOW, "status"], cwd=warm, stdout=subprocess.DEVNULL, check=True)
        board = Path(scratch) / "board.html"
        rows = [
            ("python -c 'import yaml' (floor)", [sys.executable, "-c", "import yaml"], cold),
            ("git for-each-ref (500+ refs)", ["git", "for-each-ref"], cold),
            (f"rflow status, {branches} branches, cold", [*RFLOW, "status"], cold),
            *(
                [
                    (
                        f"rflow status, {branches}, cold, 1 CPU",
                        [taskset, "-c", "0", *RFLOW, "status"],
                        cold,
                    )
                ]
                if taskset
                else []
            ),
            (f"rflow status, {branches} branches, warm", [*RFLOW, "status"], warm),
            (f"rflow status --json, {branches}, warm", [*RFLOW, "status", "--json"], warm),
            (f"rflow rank, {branches} branches, warm", [*RFLOW, "rank"], warm),
            (
                f"rflow board --html, {branches}, warm",
                [*RFLOW, "board", "--html", str(board)],
                warm,
            ),
        ]
        results = {name: timings(argv, cwd, repeat) for name, argv, cwd in rows}
    print(f"{'command':40} {'median s':>9} {'min s':>7} {'max s':>7}  target")
    for name, values in results.items():
        median = statistics.median(values)
        target = ""
        if name.startswith("rflow status,"):
            verdict = "ok" if median <= TARGET_SECONDS else "MISSED"
            target = f"<= {TARGET_SECONDS:.3f} s {verdict}"
        print(f"{name:40} {median:9.3f} {min(values):7.3f} {max(values):7.3f}  {target}")


if __name__ == "__main__":
    main()
