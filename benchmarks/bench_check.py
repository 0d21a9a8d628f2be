"""Times `rflow check` (without --rerun) on a hypothesis with 50 runs and 30 plan commits.

Target (issue 9): the gate's history replay, identity checks and store facts keep
`rflow check H-001` within 2x of the check before them (measured on the same set-up).
The experiment is the test suite's clean one (git with an origin, DVC, the embedded sqlite
MLflow store, `rflow approve/run/report`); 29 more commits edit the plan's unregistered
Risks section, and the one real run is copied 49 times in the store (its tags, a later start)
and in runs.yaml, as 49 more `rflow run`s would have left them.

    python benchmarks/bench_check.py [REPEAT]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

RUNS = 50
PLAN_COMMITS = 30
TARGET_FACTOR = 2.0


def isolate(home: Path) -> None:
    """A private git identity and home, like the test suite's."""
    config = home / ".gitconfig"
    config.write_text(
        "[user]\n\tname = Alice Author\n\temail = alice@example.com\n"
        '[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n',
        encoding="utf-8",
    )
    os.environ.update(
        {
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(config),
            "GIT_AUTHOR_NAME": "Alice Author",
            "GIT_AUTHOR_EMAIL": "alice@example.com",
            "GIT_COMMITTER_NAME": "Alice Author",
            "GIT_COMMITTER_EMAIL": "alice@example.com",
            "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",
            "DVC_NO_ANALYTICS": "1",
            "PRE_COMMIT_HOME": str(home / "pre-commit"),
        }
    )
    for name in ("MLFLOW_TRACKING_URI", "RFLOW_USER", "GITLAB_TOKEN"):
        os.environ.pop(name, None)


def build(base: Path) -> Path:
    from fixtures import experiment
    from fixtures.experiment import FOLDER, HYPOTHESIS, commit_all, rflow_in

    base.mkdir()
    experiment._build(base)
    repo = base / "repo"
    plan = repo / FOLDER / "plan.qmd"
    plan_commits = int(
        subprocess.run(
            ["git", "rev-list", "--count", "HEAD", "--", f"{FOLDER}/plan.qmd"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for n in range(plan_commits, PLAN_COMMITS):
        text = plan.read_text(encoding="utf-8")
        plan.write_text(text.rstrip("\n") + f"\nRisk note {n}.\n", encoding="utf-8")
        commit_all(repo, f"{HYPOTHESIS}: risk note {n}")
    copy_runs(repo, RUNS - 1)
    commit_all(repo, f"{HYPOTHESIS}: {RUNS - 1} more runs")
    assert rflow_in(repo, "report", HYPOTHESIS, "--update") == 0
    commit_all(repo, f"{HYPOTHESIS}: report")
    return repo


def copy_runs(repo: Path, count: int) -> None:
    """Copies of the real run: the same tags and metric, each started a second later."""
    from fixtures.experiment import FOLDER, HYPOTHESIS
    from mlflow.tracking import MlflowClient

    from researchflow.base.frozen import replace
    from researchflow.documents.config import load_config, tracking_uri
    from researchflow.documents.runlog import append_run, read_runs, utc_timestamp

    runs_path = repo / FOLDER / "runs.yaml"
    [real] = read_runs(runs_path).runs
    client = MlflowClient(tracking_uri(load_config(repo)))
    stored = client.get_run(real.run_id)
    start = int(time.time() * 1000)
    for n in range(count):
        begin, end = start + n * 1000, start + n * 1000 + 500
        new = client.create_run(stored.info.experiment_id, start_time=begin, tags=stored.data.tags)
        run_id = new.info.run_id
        for key, value in stored.data.metrics.items():
            client.log_metric(run_id, key, value, timestamp=begin + 100)
        client.set_terminated(run_id, "FINISHED", end_time=end)
        entry = replace(real, run_id=run_id, started=utc_timestamp(begin), ended=utc_timestamp(end))
        append_run(runs_path, HYPOTHESIS, entry)


def timings(argv: list[str], cwd: Path, repeat: int) -> tuple[list[float], int]:
    result, code = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result.append(time.perf_counter() - started)
        code = done.returncode
    return result, code


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch) / "home"
        home.mkdir()
        isolate(home)
        repo = build(Path(scratch) / "base")
        argv = [sys.executable, "-m", "researchflow", "check", "H-001"]
        seconds, code = timings(argv, repo, repeat)
        print(f"rflow check H-001: {RUNS} runs, {PLAN_COMMITS} plan commits (exit {code})")
        print(f"  median {statistics.median(seconds):.2f} s, min {min(seconds):.2f} s")
        print(f"  target: within {TARGET_FACTOR:g}x of the check before the history replay")


if __name__ == "__main__":
    main()
