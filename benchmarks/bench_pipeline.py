"""How much `rflow run -- dvc repro` adds over a bare `dvc repro` on the demo's four-stage
pipeline (demo/pipeline), when nothing changed and after a param change, against a local
MLflow tracking server and against the embedded sqlite store.

Each timing is the median of --repeat runs. After a param change every run gets a value
never used before, so DVC's run cache cannot restore the stages: train and evaluate
execute each time. Target: at most 1.5 s over the bare command against a server.

    python benchmarks/bench_pipeline.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_run import rflow_argv, start_server

TARGET_SECONDS = 1.5
PIPELINE = Path(__file__).parents[1] / "demo" / "pipeline"
PLAN = """---
title: "Benchmark"
id: H-001
status: draft
created: 2026-01-01
roles: {author: bench}
rice: {reach: 3, impact: 3, confidence: 3, effort: 3}
hypothesis: "Nothing."
predictions:
  - {metric: roc_auc.test, baseline: 0.5, direction: increase, min_effect: 0.01, tolerance: 0.01}
command: dvc repro
---

## Context
"""


def sh(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {result.returncode}:\n{result.stderr}")


def make_repo(folder: Path, env: dict[str, str]) -> Path:
    root = folder / "repo"
    shutil.copytree(PIPELINE, root)
    plan = root / "research" / "H-001-bench" / "plan.qmd"
    plan.parent.mkdir(parents=True)
    plan.write_text(PLAN, encoding="utf-8")
    (root / ".gitignore").write_text(".rflow/\n", encoding="utf-8")
    dvc = [sys.executable, "-m", "dvc"]
    sh(["git", "init", "-q", "-b", "main"], root, env)
    sh([*dvc, "init", "-q"], root, env)
    sh([*dvc, "add", "-q", "data/raw.csv"], root, env)
    commit(root, env, "pipeline")  # dvclive wants a commit to start from
    sh([*dvc, "repro", "-q"], root, env)
    commit(root, env, "its first run")
    return root


def commit(root: Path, env: dict[str, str], message: str) -> None:
    sh(["git", "add", "-A"], root, env)
    sh(["git", "commit", "-qm", message, "--allow-empty"], root, env)


def timed(argv: list[str], root: Path, env: dict[str, str], before: Callable[[], None]) -> float:
    before()
    start = time.perf_counter()
    sh(argv, root, env)
    seconds = time.perf_counter() - start
    commit(root, env, "after the run")  # dvc.lock, runs.yaml: the next run starts clean
    return seconds


def measure(root: Path, env: dict[str, str], repeat: int) -> dict[str, tuple[float, float]]:
    bare = [sys.executable, "-m", "dvc", "repro", "-q"]
    wrapped = [*rflow_argv(), "run", "H-001", "--", sys.executable, "-m", "dvc", "repro", "-q"]
    counter = iter(range(21, 10_000))

    def nothing() -> None:
        return None

    def new_param() -> None:
        params = root / "params.yaml"
        text = params.read_text(encoding="utf-8").splitlines()
        text = [f"  n_est: {next(counter)}" if "n_est" in line else line for line in text]
        params.write_text("\n".join(text) + "\n", encoding="utf-8")
        commit(root, env, "a new param")

    results = {}
    for name, before in (("nothing changed", nothing), ("param changed", new_param)):
        plain = [timed(bare, root, env, before) for _ in range(repeat)]
        rflow = [timed(wrapped, root, env, before) for _ in range(repeat)]
        results[name] = (statistics.median(plain), statistics.median(rflow))
    return results


def report(store: str, results: dict[str, tuple[float, float]], target: float | None) -> bool:
    ok = True
    for name, (plain, rflow) in results.items():
        added = rflow - plain
        verdict = ""
        if target is not None:
            ok = ok and added <= target
            verdict = "  ok" if added <= target else f"  OVER the {target:.1f} s target"
        print(
            f"{store:9} {name:16} dvc repro {plain:6.2f} s   rflow run -- dvc repro "
            f"{rflow:6.2f} s   added {added:+.2f} s{verdict}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rflow-bench-pipeline-") as temporary:
        folder = Path(temporary)
        env = {**os.environ, "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "bench"}
        env.update(GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="b@x")
        env.pop("MLFLOW_TRACKING_URI", None)
        (folder / "embedded").mkdir()
        embedded = measure(make_repo(folder / "embedded", env), env, args.repeat)
        (folder / "server").mkdir()
        url, server = start_server(folder / "server")
        try:
            root = make_repo(folder / "server", env)
            served = measure(root, {**env, "MLFLOW_TRACKING_URI": url}, args.repeat)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
    ok = report("server", served, TARGET_SECONDS)
    report("embedded", embedded, None)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
