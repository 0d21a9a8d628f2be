"""What `dvc status` would say, read from git objects: the stages HEAD's dvc.lock no longer
matches (a code dependency, a `.dvc` input, a param)."""

from __future__ import annotations

from pathlib import Path

from fixtures.dvc_repo import dvc, git

from researchflow.runs.drift import changes_between, stale_stages


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def test_a_fresh_pipeline_is_not_stale(dvc_repo: Path) -> None:
    assert stale_stages(dvc_repo, "HEAD") == []


def test_changed_code_and_data_make_the_stage_stale_and_are_named(dvc_repo: Path) -> None:
    before = git(dvc_repo, "rev-parse", "HEAD").strip()
    script = dvc_repo / "prepare.py"
    script.write_text(script.read_text() + "# faster\n", encoding="utf-8")
    (dvc_repo / "data" / "raw.csv").write_text("id,label\n1,cat\n", encoding="utf-8")
    dvc(dvc_repo, "add", "-q", "data/raw.csv")
    head = commit(dvc_repo, "new code and data, pipeline not rerun")

    stale = stale_stages(dvc_repo, head)

    assert "prepare: prepare.py modified" in stale
    assert any(s.startswith("prepare: data/raw.csv modified (md5 ") for s in stale)
    changed = changes_between(dvc_repo, before, head, "research")
    assert changed.code == ("prepare.py",) and changed.data == ("data/raw.csv",)
