"""`rflow init --gitlab-ci` writes the job once and includes it from .gitlab-ci.yml."""

from __future__ import annotations

from pathlib import Path

import yaml

from researchflow.base.names import JOB_FILE


def test_init_gitlab_ci_adds_the_job_once_and_keeps_the_users_pipeline(repo: Path, rflow) -> None:
    (repo / ".gitlab-ci.yml").write_text("unit:\n  script: [make test]\n", encoding="utf-8")
    first = rflow("init", "--no-dvc", "--gitlab-ci")
    assert first.code == 0, first.stderr
    assert f"{JOB_FILE}: the rflow check job written" in first.stdout
    pipeline = yaml.safe_load((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert pipeline == {"unit": {"script": ["make test"]}, "include": [{"local": JOB_FILE}]}
    job = yaml.safe_load((repo / JOB_FILE).read_text(encoding="utf-8"))["rflow-check"]
    assert "rflow check" in job["script"][-1]
    second = rflow("init", "--no-dvc", "--gitlab-ci")
    assert second.code == 0
    assert "nothing to change" in second.stdout


def test_init_gitlab_ci_keeps_a_tuned_job_file(repo: Path, rflow) -> None:
    (repo / ".gitlab").mkdir()
    (repo / JOB_FILE).write_text("rflow-check:\n  script: [rflow check --all]\n", encoding="utf-8")
    assert rflow("init", "--no-dvc", "--gitlab-ci").code == 0
    assert "--all" in (repo / JOB_FILE).read_text(encoding="utf-8")


def test_init_without_the_flag_leaves_gitlab_ci_alone(repo: Path, rflow) -> None:
    assert rflow("init", "--no-dvc").code == 0
    assert not (repo / ".gitlab-ci.yml").exists()


def test_an_include_rflow_cannot_edit_is_one_clear_line(repo: Path, rflow) -> None:
    (repo / ".gitlab-ci.yml").write_text("include: [{local: a.yml}]\n", encoding="utf-8")
    outcome = rflow("init", "--no-dvc", "--gitlab-ci")
    assert outcome.code == 2
    assert f"add '- local: {JOB_FILE}' to include: by hand" in outcome.stderr
    assert not (repo / JOB_FILE).exists()
