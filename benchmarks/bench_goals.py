"""The speed goals of issue 24, each figure beside its comparison, measured in one paired
loop (A, B, A, B, ...) so a drift in the machine's speed hits both sides alike.

- `rflow run -- python -c pass` on the embedded store, against a plain script logging one
  metric to a sqlite MLflow store: <= 0.3x the script
- `rflow check H-001` at 50 runs x 30 plan commits: <= 1.5 s
- `rflow status` over 500 branches, cold, beside `git for-each-ref`: <= 0.3 s
- `rflow --help` against `dvc --help`: <= 0.5x
- `rflow validate` of one plan, beside `python -c 'import yaml'`: <= 0.10 s

The embedded store's own tracking server (adapters/tracking_server.py) is started by one
`rflow run` and one `rflow check` before the loop: the figures are the steady state, which
every run after a repository's first (or after the server stopped when idle) sees.

Usage: python benchmarks/bench_goals.py [PAIRS]   (default 5). It prints; it never fails.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

import bench_check  # noqa: E402  (the 50 x 30 experiment)
import bench_run  # noqa: E402  (a repository with one plan)
import bench_status  # noqa: E402  (500 hypothesis branches made with git plumbing)

from researchflow.adapters.tracking_server import stop_server  # noqa: E402

RFLOW = [sys.executable, "-m", "researchflow"]
PLAIN_SCRIPT = (
    "import mlflow\n"
    "mlflow.set_tracking_uri('sqlite:///plain.db')\n"
    "with mlflow.start_run():\n"
    "    mlflow.log_metric('m', 1.0)\n"
)


@dataclass(frozen=True)
class Figure:
    name: str
    argv: list[str]
    cwd: Path
    comparison: str
    comparison_argv: list[str] | None
    goal: str
    met: Callable[[float, float | None], bool]  # (median seconds, median ratio) -> met?


def seconds(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def figures(scratch: Path) -> list[Figure]:
    home = scratch / "home"
    home.mkdir()
    bench_check.isolate(home)
    checked = bench_check.build(scratch / "check")
    branches = bench_status.make_repo(scratch / "status", 500)
    plan_repo = bench_run.make_repo(scratch / "run")
    (plan_repo / "plain.py").write_text(PLAIN_SCRIPT, encoding="utf-8")
    with (plan_repo / ".gitignore").open("a", encoding="utf-8") as ignore:
        ignore.write("plain.db\nmlruns/\nmlartifacts/\n")  # the plain script's own store
    subprocess.run(["git", "add", "-A"], cwd=plan_repo, check=True)
    subprocess.run(["git", "commit", "-qm", "plain script"], cwd=plan_repo, check=True)
    plan = next((plan_repo / "research").glob("*/plan.qmd"))
    run = [*RFLOW, "run", "H-001", "--", sys.executable, "-c", "pass"]
    return [
        Figure(
            "rflow run -- python -c pass (embedded)",
            run,
            plan_repo,
            "plain MLflow script, sqlite",
            [sys.executable, "plain.py"],
            "<= 0.3x",
            lambda _s, ratio: ratio is not None and ratio <= 0.3,
        ),
        Figure(
            "rflow check, 50 runs x 30 commits",
            [*RFLOW, "check", "H-001"],
            checked,
            "-",
            None,
            "<= 1.5 s",
            lambda median, _r: median <= 1.5,
        ),
        Figure(
            "rflow status, 500 branches, cold",
            [*RFLOW, "status"],
            branches,
            "git for-each-ref",
            ["git", "for-each-ref"],
            "<= 0.3 s",
            lambda median, _r: median <= 0.3,
        ),
        Figure(
            "rflow --help",
            [*RFLOW, "--help"],
            plan_repo,
            "dvc --help",
            [sys.executable, "-m", "dvc", "--help"],
            "<= 0.5x",
            lambda _s, ratio: ratio is not None and ratio <= 0.5,
        ),
        Figure(
            "rflow validate, one plan",
            [*RFLOW, "validate", str(plan)],
            plan_repo,
            "python -c 'import yaml'",
            [sys.executable, "-c", "import yaml"],
            "<= 0.10 s",
            lambda median, _r: median <= 0.10,
        ),
    ]


def main() -> None:
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    # as installed: Python keeps compiled modules (an environment that turns that off
    # would time the compiler, about 0.4 s per command, not rflow)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        found = figures(scratch)
        cold_cache = scratch / "status" / ".rflow"
        a: dict[str, list[float]] = {f.name: [] for f in found}
        b: dict[str, list[float]] = {f.name: [] for f in found}
        for figure in found[:2]:  # start the embedded stores' servers: the steady state
            seconds(figure.argv, figure.cwd)
        for _ in range(pairs):
            for figure in found:
                if "cold" in figure.name and cold_cache.exists():
                    subprocess.run(["rm", "-rf", str(cold_cache)], check=True)
                a[figure.name].append(seconds(figure.argv, figure.cwd))
                if figure.comparison_argv is not None:
                    b[figure.name].append(seconds(figure.comparison_argv, figure.cwd))
        for database in scratch.glob("*/**/.rflow/mlflow.db"):
            stop_server(database)
    print("steady state: the embedded store's tracking server was started before the loop")
    print(f"{'figure':40} {'median s':>9} {'comparison':30} {'median s':>9} {'ratio':>6}  goal")
    for figure in found:
        median = statistics.median(a[figure.name])
        other = statistics.median(b[figure.name]) if b[figure.name] else None
        ratio = (
            statistics.median(x / y for x, y in zip(a[figure.name], b[figure.name], strict=True))
            if b[figure.name]
            else None
        )
        verdict = "met" if figure.met(median, ratio) else "MISSED"
        shown_other = f"{other:9.3f}" if other is not None else f"{'-':>9}"
        shown_ratio = f"{ratio:6.2f}" if ratio is not None else f"{'-':>6}"
        print(
            f"{figure.name:40} {median:9.3f} {figure.comparison:30} {shown_other} {shown_ratio}"
            f"  {figure.goal} {verdict}"
        )


if __name__ == "__main__":
    main()
