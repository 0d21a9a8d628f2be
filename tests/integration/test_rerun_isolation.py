"""The rerun is isolated from the gate (issue 21, item 5).

The registered command runs in its own process with an allow-listed environment (no token
reaches it), in the project's virtualenv when it has one, and a rerun that writes to the
gate's own code fails. Each attack is a `train.py` an author commits on the branch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fixtures.experiment import TRAIN, failing

LEAK = """
import json, os, sys
with open({out!r}, "w") as stream:
    json.dump({{"env": sorted(os.environ), "python": sys.executable}}, stream)
"""


def _commit_train(experiment, extra: str) -> None:
    (experiment.repo / "train.py").write_text(TRAIN + extra, encoding="utf-8")
    experiment.commit("train.py looks around")


def test_the_rerun_sees_no_token_secret_or_python_setting(experiment, tmp_path: Path) -> None:
    out = tmp_path / "seen.json"
    _commit_train(experiment, LEAK.format(out=str(out)))
    result = experiment.check(
        "--rerun",
        GITLAB_TOKEN="glpat-secret",
        CI_JOB_TOKEN="job-secret",
        AWS_SECRET_ACCESS_KEY="aws",
        DB_PASSWORD="pw",
        PYTHONPATH="/elsewhere",
        LC_ALL="C.UTF-8",
    )
    seen = json.loads(out.read_text(encoding="utf-8"))["env"]
    for name in ("GITLAB_TOKEN", "CI_JOB_TOKEN", "AWS_SECRET_ACCESS_KEY", "DB_PASSWORD"):
        assert name not in seen
    assert "PYTHONPATH" not in seen
    for name in ("PATH", "HOME", "LC_ALL", "MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI"):
        assert name in seen, seen
    assert "rerun" not in failing(result), failing(result)  # it still reproduces


def test_a_rerun_that_writes_to_the_gate_s_code_fails(experiment, tmp_path, monkeypatch) -> None:
    import shutil

    import researchflow
    from researchflow.checks import worktree

    # the gate's code as a copy: parallel tests share this checkout's editable install, and
    # a file planted there would fail their reruns too
    code = tmp_path / "gate" / "researchflow"
    shutil.copytree(Path(researchflow.__file__).parent, code)
    monkeypatch.setattr(worktree, "gate_code", lambda: [code])
    planted = code / "checks" / "rerun.py"
    _commit_train(experiment, f"\nopen({str(planted)!r}, 'a').write('PASS = True')\n")
    result = experiment.check("--rerun")
    [problem] = failing(result)["rerun"]
    assert problem.startswith(
        "rerun: rerunning the registered command `python train.py` on HEAD changed the "
        f"gate's own code ({planted})"
    )
    assert result["code"] == 1


def test_the_rerun_runs_in_the_project_s_own_virtualenv(experiment, tmp_path: Path) -> None:
    out = tmp_path / "seen.json"
    # the project's .venv, untracked; this one lacks mlflow, so the rerun itself fails
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(experiment.repo / ".venv")],
        check=True,
    )
    exclude = experiment.repo / ".git" / "info" / "exclude"
    exclude.write_text(exclude.read_text(encoding="utf-8") + ".venv/\n", encoding="utf-8")
    (experiment.repo / "train.py").write_text(LEAK.format(out=str(out)) + TRAIN, "utf-8")
    experiment.commit("train.py says where it runs")
    result = experiment.check("--rerun")
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert seen["python"].startswith(str((experiment.repo / ".venv").resolve()))
    assert "VIRTUAL_ENV" in seen["env"]
    assert any("exited 1" in p for p in failing(result)["rerun"])  # no mlflow there


def test_a_rerun_that_rewrites_a_notebook_in_the_checkout_changes_no_result(experiment) -> None:
    from fixtures.notebooks import write_notebook

    notebook = experiment.folder / "explore.ipynb"
    write_notebook(notebook, ["1 / 0"])
    good = notebook.with_name("good.json")
    write_notebook(good, ["x = 1"])
    text = good.read_text(encoding="utf-8")
    good.unlink()
    # the registered command, at HEAD, quietly replaces the failing notebook in the checkout
    _commit_train(experiment, f"\nopen({str(notebook)!r}, 'w').write({text!r})\n")
    problems = failing(experiment.check("--rerun", "--execute-notebooks"))
    assert "ZeroDivisionError" in problems["notebooks"][0]  # judged before the rerun ran
