"""`rflow init` on an existing repository: idempotent, and the user's hooks survive."""

from __future__ import annotations

from pathlib import Path

import yaml

USER_PRE_COMMIT = """\
# our team's hooks
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
      - id: trailing-whitespace
"""


def tree_snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts[:1]
    }


def test_init_twice_keeps_user_hooks_and_adds_rflow_once(repo: Path, rflow) -> None:
    (repo / ".pre-commit-config.yaml").write_text(USER_PRE_COMMIT, encoding="utf-8")
    (repo / ".gitignore").write_text("*.pyc", encoding="utf-8")  # no trailing newline
    first = rflow("init", "--no-dvc")
    assert first.code == 0, first.stderr
    after_first = tree_snapshot(repo)
    second = rflow("init", "--no-dvc")
    assert second.code == 0
    assert "nothing to change" in second.stdout
    assert tree_snapshot(repo) == after_first

    text = (repo / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert text.startswith(USER_PRE_COMMIT)
    hook_ids = [h["id"] for r in yaml.safe_load(text)["repos"] for h in r["hooks"]]
    assert hook_ids.count("trailing-whitespace") == 1
    assert hook_ids.count("rflow-validate") == 1
    assert (repo / ".gitignore").read_text(
        encoding="utf-8"
    ) == "*.pyc\n.rflow/\nmlflow.db\nmlruns/\n"
    assert (repo / "researchflow.yaml").is_file()
    assert (repo / ".researchflow" / "templates" / "README.md").is_file()


def test_init_keeps_an_existing_pyproject_config(repo: Path, rflow) -> None:
    (repo / "pyproject.toml").write_text("[tool.researchflow]\nresearch_dir = 'studies'\n")
    assert rflow("init", "--no-dvc").code == 0
    assert not (repo / "researchflow.yaml").exists()
    hooks = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert hooks[0]["files"].startswith("^studies/")


def test_init_runs_dvc_init_once(repo: Path, rflow) -> None:
    assert rflow("init").code == 0
    assert (repo / ".dvc" / "config").is_file()
    assert rflow("init").code == 0


def test_init_outside_a_repository_is_refused(tmp_path: Path, monkeypatch, rflow) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = rflow("init", "--no-dvc")
    assert outcome.code == 2
    assert "not a git repository (run `git init` first)" in outcome.stderr
    assert list(tmp_path.iterdir()) == []


def test_broken_pre_commit_config_is_reported_not_clobbered(repo: Path, rflow) -> None:
    (repo / ".pre-commit-config.yaml").write_text("repos: [\n", encoding="utf-8")
    outcome = rflow("init", "--no-dvc")
    assert outcome.code == 2
    assert ".pre-commit-config.yaml:" in outcome.stderr and "invalid YAML" in outcome.stderr
    assert (repo / ".pre-commit-config.yaml").read_text() == "repos: [\n"


def test_init_installs_the_git_hook_so_the_readmes_next_step_is_done(repo: Path, rflow) -> None:
    outcome = rflow("init", "--no-dvc")
    assert outcome.code == 0, outcome.stderr
    assert "pre-commit install: the git hook installed" in outcome.stdout
    hook = repo / ".git" / "hooks" / "pre-commit"
    assert "pre-commit" in hook.read_text(encoding="utf-8")
    assert "nothing to change" in rflow("init", "--no-dvc").stdout


def test_init_says_how_when_pre_commit_cannot_install(repo: Path, rflow) -> None:
    from support.git import git

    git(repo, "config", "core.hooksPath", ".githooks")  # pre-commit refuses to touch it
    outcome = rflow("init", "--no-dvc")
    assert outcome.code == 0, outcome.stderr
    assert "note: `pre-commit install` failed" in outcome.stdout
    assert (repo / "researchflow.yaml").is_file()
