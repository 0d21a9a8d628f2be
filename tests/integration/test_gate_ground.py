"""The gate's own ground (issue 21, item 6): a merge request may not redefine the
`rflow-check` job, change the problem statement, or bring its own store."""

from __future__ import annotations

import json

from fixtures.experiment import BRANCH, HYPOTHESIS, failing, git
from support.cli import run_in_process

MR_ENV = {
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": BRANCH,
}
MAINTAINER = (
    "(a maintainer must merge changes to the gate's configuration or to hypothesis folders "
    "on their own, in a merge request without research results)"
)


def _sneak(experiment, message: str) -> None:
    git(experiment.repo, "add", "-A")
    git(experiment.repo, "commit", "-q", "--no-verify", "-m", message)


def _check_changed(experiment) -> dict:
    outcome = run_in_process(["check", "--changed", "--json"], cwd=experiment.repo, env=MR_ENV)
    data = json.loads(outcome.stdout)
    data["code"] = outcome.code
    return data


def _append(path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_merge_request_overriding_the_rflow_check_job_fails_the_gate(experiment) -> None:
    ci = experiment.repo / ".gitlab-ci.yml"
    _append(ci, '\nrflow-check:\n  script: ["echo all good"]\n')
    _sneak(experiment, "a faster pipeline")
    result = _check_changed(experiment)
    assert result["code"] == 1
    assert failing(result)["gate"] == [
        f"rflow-check: the merge request changes the rflow-check job's definition {MAINTAINER}"
    ]


def test_a_merge_request_dropping_the_job_s_include_fails_the_gate(experiment) -> None:
    ci = experiment.repo / ".gitlab-ci.yml"
    ci.write_text("stages: [test]\n", encoding="utf-8")
    _sneak(experiment, "tidy the CI file")
    problems = failing(_check_changed(experiment))["gate"]
    assert any(p.startswith("include, stages: the merge request changes the") for p in problems)


def test_a_merge_request_adding_its_own_job_passes_the_gate(experiment) -> None:
    _append(experiment.repo / ".gitlab-ci.yml", '\nlint:\n  script: ["ruff check"]\n')
    _sneak(experiment, "lint too")
    result = _check_changed(experiment)
    assert failing(result) == {} and result["code"] == 0, failing(result)


def test_a_merge_request_changing_the_problem_statement_fails_the_gate(experiment) -> None:
    statement = experiment.repo / "research" / "problem.qmd"
    statement.write_text("---\ntitle: an easier problem\n---\n", encoding="utf-8")
    _sneak(experiment, "reframe the problem")
    result = _check_changed(experiment)
    assert result["code"] == 1
    assert (
        "file: the merge request changes the problem statement its hypotheses are judged by "
        f"{MAINTAINER}"
    ) in failing(result)["gate"]


def test_a_store_committed_to_the_repository_is_never_read(experiment) -> None:
    git(experiment.repo, "add", "-f", ".rflow/mlflow.db")
    _sneak(experiment, "the runs, for CI")
    result = experiment.check()
    assert result["code"] == 1
    assert failing(result) == {
        "gate": [
            "store: the MLflow store is a file committed to the repository, so the merge "
            "request could have written it; the gate does not read it (`git rm --cached` it, "
            "and point MLFLOW_TRACKING_URI at the team's server (or `rflow store import` the "
            "runs in CI))"
        ]
    }
    assert HYPOTHESIS not in {c["hypothesis"] for c in result["checks"]}
