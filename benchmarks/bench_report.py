"""How long `rflow report` takes on 3 predictions × 30 repeats, pictures included.

Starts `mlflow server` (sqlite backend) on 127.0.0.1, builds a throwaway research
repository whose approved plan registers 30 repeats of a script that logs three noisy
metrics, makes the confirmatory group with `rflow run --jobs 2`, then times `rflow report`
(the first, which writes report.qmd and three SVGs, and each `--update` after it) as the
user runs it: a fresh interpreter each time. Target: ≤ 3 s.

    python benchmarks/bench_report.py [--repeat 5]
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_run import rflow_argv, start_server

TARGET_SECONDS = 3.0
METRICS = ("accuracy", "recall", "latency_ms")
PLAN = """---
title: "Benchmark: three predictions, thirty repeats"
id: H-001
status: review
outcome: null
created: 2026-01-01
roles: {author: alice, designer: bob, executor: carol, reviewers: [dave]}
rice: {reach: 3, impact: 3, confidence: 3, effort: 3}
hypothesis: "The new model is better on two metrics and no slower."
predictions:
  - {metric: accuracy, baseline: 0.5, direction: increase, min_effect: 0.01, tolerance: 0.02}
  - {metric: recall, baseline: 0.4, direction: increase, min_effect: 0.01, tolerance: 0.02}
  - {metric: latency_ms, baseline: 20, direction: no_change, min_effect: 1, tolerance: 1}
data: []
command: python train.py
evaluation: {repeats: 30, alpha: 0.05}
timebox_days: 5
approval: null
deviations: []
format: html
---

## Context

A benchmark.

## Hypothesis

The new model is better.

## Predictions

Accuracy and recall rise by a point; latency stays within a millisecond.

## Experiment design

Thirty seeds of one script.

### Data extraction

None.

### Feature engineering

None.

### Statistical evaluation

Thirty repeats; 95 % t-intervals with Holm's correction, TOST for latency.

### Modelling

None.

### Model evaluation

Three metrics logged to MLflow.

## Risks

None.
"""
TRAIN = """\
import json, os, random, time, urllib.request

seed = int(os.environ["RFLOW_SEED"])
noise = random.Random(seed)
metrics = [
    {"key": "accuracy", "value": 0.53 + noise.gauss(0, 0.02)},
    {"key": "recall", "value": 0.42 + noise.gauss(0, 0.03)},
    {"key": "latency_ms", "value": 20 + noise.gauss(0, 0.5)},
]
now = int(time.time() * 1000)
body = {"run_id": os.environ["MLFLOW_RUN_ID"],
        "metrics": [{**m, "timestamp": now, "step": 0} for m in metrics]}
request = urllib.request.Request(
    os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/log-batch",
    data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
urllib.request.urlopen(request).read()
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def build(root: Path, url: str, env: dict[str, str]) -> None:
    root.mkdir()
    git(root, "init", "-q", "-b", "hyp/H-001-bench")
    (root / ".gitignore").write_text(".rflow/\n", encoding="utf-8")
    (root / "researchflow.yaml").write_text(
        f"dvc:\n  enabled: false\nmlflow:\n  tracking_uri: {url}\n", encoding="utf-8"
    )
    (root / "train.py").write_text(TRAIN, encoding="utf-8")
    (root / "research" / "H-001-bench").mkdir(parents=True)
    (root / "research" / "H-001-bench" / "plan.qmd").write_text(PLAN, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "plan")
    rflow = rflow_argv()
    subprocess.run(
        [*rflow, "approve", "H-001"],
        cwd=root,
        env={**env, "RFLOW_USER": "dave"},
        check=True,
        capture_output=True,
    )
    git(root, "commit", "-q", "-am", "approved")
    subprocess.run(
        [*rflow, "run", "--jobs", "2", "H-001"], cwd=root, env=env, check=True, capture_output=True
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "thirty repeats")


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rflow-bench-report-"))
    url, server = start_server(folder)
    env = {**os.environ, "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true"}
    try:
        root = folder / "repo"
        build(root, url, env)
        rflow = rflow_argv()
        first = timed([*rflow, "report", "H-001"], root, env)
        updates = [
            timed([*rflow, "report", "H-001", "--update"], root, env) for _ in range(args.repeat)
        ]
        pictures = sorted(p.name for p in (root / "research" / "H-001-bench").glob("*.svg"))
        print("rflow report, 3 predictions × 30 repeats, pictures included\n")
        print(f"{'first report (writes report.qmd + SVGs)':<44} {first:7.3f} s")
        print(
            f"{'report --update (median of ' + str(args.repeat) + ')':<44} "
            f"{statistics.median(updates):7.3f} s"
        )
        print(f"pictures: {', '.join(pictures)}")
        worst = max(first, statistics.median(updates))
        verdict = "ok" if worst <= TARGET_SECONDS else "OVER TARGET"
        print(f"\nslowest: {worst:.3f} s (target ≤ {TARGET_SECONDS} s): {verdict}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
