"""The hook manifest other repositories use agrees with the hooks `rflow init` installs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from researchflow.documents.hooks import RFLOW_HOOKS

ROOT = Path(__file__).resolve().parents[2]


def test_published_hooks_match_the_ones_init_installs() -> None:
    published = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    by_id = {hook["id"]: hook for hook in published}
    assert set(by_id) == {hook.id for hook in RFLOW_HOOKS}
    for hook in RFLOW_HOOKS:
        assert by_id[hook.id]["entry"] == hook.entry
        assert by_id[hook.id]["files"] == hook.files.format(research=re.escape("research"))


def test_project_runs_rflow_on_its_own_templates() -> None:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff", "ruff-format"} <= set(hooks)
    template_hook = hooks["rflow-validate-templates"]
    assert re.search(template_hook["files"], "src/researchflow/templates/plan.qmd")
