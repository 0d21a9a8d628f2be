"""How long `rflow store export` and `rflow store import` take for one hypothesis's runs.

Builds an embedded (sqlite) store holding N runs of one hypothesis, each with 10 params,
the rflow tags and 3 metrics × 20 steps, then times the export to a bundle and the import
into a fresh embedded store (in-process, MLflow already imported: add about 3 s for a fresh
`rflow` process), and checks that the run IDs and every metric point arrived.

    python benchmarks/bench_store.py [--runs 100]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def build(uri: str, runs: int) -> list[str]:
    from mlflow.entities import Metric, Param, RunTag

    from researchflow.adapters.mlflow_library import LibraryStore

    store = LibraryStore(uri)
    experiment = store.experiment_id("bench")
    ids = []
    for index in range(runs):
        run_id = store.create_run(experiment, {"rflow.hypothesis": "H-001"}, 1_000 + index)
        metrics = [
            Metric(key, 0.5 + step / 100, 2_000 + step, step)
            for key in ("accuracy", "recall", "loss")
            for step in range(20)
        ]
        store.client.log_batch(
            run_id,
            metrics=metrics,
            params=[Param(f"p{i}", str(i)) for i in range(10)],
            tags=[RunTag("rflow.command", "python train.py")],
        )
        store.finish_run(run_id, "FINISHED", 3_000 + index)
        ids.append(run_id)
    return ids


def points(uri: str) -> int:
    import sqlite3

    database = uri.removeprefix("sqlite:///")
    return int(sqlite3.connect(database).execute("SELECT COUNT(*) FROM metrics").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    runs = parser.parse_args().runs
    from researchflow.adapters.mlflow_transfer import export_runs, import_runs

    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        source = f"sqlite:///{base / 'a' / 'mlflow.db'}"
        target = f"sqlite:///{base / 'b' / 'mlflow.db'}"
        ids = build(source, runs)
        bundle = base / "runs.zip"
        start = time.perf_counter()
        export_runs(source, ids, bundle)
        exported = time.perf_counter() - start
        start = time.perf_counter()
        moved = import_runs(target, bundle)
        imported = time.perf_counter() - start
        assert sorted(moved.runs) == sorted(ids), "run IDs changed"
        assert points(target) == points(source), "metric points lost"
        size = bundle.stat().st_size / 1024
        print("| runs | metric points | bundle | export | import |")
        print("|---|---|---|---|---|")
        print(
            f"| {runs} | {points(source)} | {size:.0f} KiB | {exported:.2f} s | {imported:.2f} s |"
        )


if __name__ == "__main__":
    main()
