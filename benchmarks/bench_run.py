"""How much `rflow run -- true` adds over `true`, against a local MLflow tracking server.

Starts `mlflow server` (sqlite backend) on 127.0.0.1, builds a throwaway research
repository, times both commands (median of several), then shows where rflow's time goes:
interpreter start, imports, and a cProfile of one in-process run. Target: ≤ 1.5 s added.

    python benchmarks/bench_run.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TARGET_SECONDS = 1.5
PLAN = """---
title: "Benchmark"
id: H-001
status: draft
created: 2026-01-01
roles: {author: bench}
rice: {reach: 3, impact: 3, confidence: 3, effort: 3}
hypothesis: "Nothing."
predictions:
  - {metric: accuracy, baseline: 0.5, direction: increase, min_effect: 0.01, tolerance: 0.01}
---

## Context
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(folder: Path) -> tuple[str, subprocess.Popen]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    mlflow = Path(sys.executable).parent / "mlflow"
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    process = subprocess.Popen(
        [str(mlflow), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
         "--artifacts-destination", str(folder / "artifacts")],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return url, process
        except OSError:
            time.sleep(0.3)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("mlflow server did not start")


def make_repo(folder: Path) -> Path:
    root = folder / "repo"
    plan = root / "research" / "H-001-bench" / "plan.qmd"
    plan.parent.mkdir(parents=True)
    plan.write_text(PLAN, encoding="utf-8")
    (root / ".gitignore").write_text(".rflow/\n", encoding="utf-8")
    (root / "params.yaml").write_text("lr: 0.1\nepochs: 3\n", encoding="utf-8")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "plan"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    return root


def median_seconds(argv: list[str], cwd: Path, env: dict[str, str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def rflow_argv() -> list[str]:
    script = shutil.which("rflow")
    return [script] if script else [sys.executable, "-m", "researchflow"]


def import_report(cwd: Path, env: dict[str, str]) -> list[tuple[float, str]]:
    """The heaviest top-level imports of one real `rflow run` (python -X importtime)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "researchflow", "run", "H-001", "--", "true"],
        cwd=cwd, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, raw = line.split(":", 1)[1].split("|")
        top_level = raw.startswith(" ") and not raw.startswith("  ")
        if cumulative.strip().isdigit() and top_level:
            rows.append((int(cumulative) / 1e6, raw.strip()))
    return sorted(rows, reverse=True)[:8]


def profile_in_process(cwd: Path) -> str:
    """cProfile of one run inside this interpreter (imports already warm: pure work)."""
    from researchflow.cli import main

    os.chdir(cwd)
    profiler = cProfile.Profile()
    profiler.enable()
    with contextlib.suppress(SystemExit):
        main(["run", "H-001", "--", "true"])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"researchflow|subprocess.py:\d+\(run\)|urlopen", 14)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="rflow-bench-run-"))
    url, server = start_server(folder)
    try:
        root = make_repo(folder)
        env = {**os.environ, "MLFLOW_TRACKING_URI": url}
        floor = median_seconds(["true"], root, env, args.repeat)
        bare_python = median_seconds([sys.executable, "-c", "pass"], root, env, args.repeat)
        rflow = median_seconds(
            [*rflow_argv(), "run", "H-001", "--", "true"], root, env, args.repeat
        )
        client = median_seconds(
            [sys.executable, "-c", "from mlflow import MlflowClient"], root, env, 3
        )
        added = statistics.median(rflow) - statistics.median(floor)

        print(f"rflow run -- true vs true, against {url} (median of {args.repeat})\n")
        print(f"{'command':<44}{'median s':>10}{'min s':>10}")
        for name, times in (
            ("true", floor),
            ("python -c pass (interpreter floor)", bare_python),
            ("rflow run H-001 -- true", rflow),
            ("python -c 'from mlflow import MlflowClient'", client),
        ):
            print(f"{name:<44}{statistics.median(times):>10.3f}{min(times):>10.3f}")
        verdict = "OK" if added <= TARGET_SECONDS else "OVER TARGET"
        print(f"\nadded by rflow run: {added:.3f} s (target ≤ {TARGET_SECONDS} s): {verdict}")

        print("\nheaviest top-level imports in one `rflow run` (cumulative s):")
        for seconds, name in import_report(root, env):
            print(f"  {seconds:7.3f}  {name}")
        print("\nin-process profile of one run (cumulative):")
        os.environ["MLFLOW_TRACKING_URI"] = url
        print(profile_in_process(root))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
