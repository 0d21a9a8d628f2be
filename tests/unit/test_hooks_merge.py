"""Merging rflow's hooks into a user's .pre-commit-config.yaml (pure)."""

from __future__ import annotations

import yaml

from researchflow.documents.hooks import RFLOW_HOOKS, existing_hook_ids, merge_hooks

USER_CONFIG = """\
# team hooks: keep this comment
default_stages: [pre-commit]
repos:
  - repo: https://github.com/psf/black
    rev: 24.1.0
    hooks:
      - id: black   # formatting
"""


def rflow_ids() -> set[str]:
    return {hook.id for hook in RFLOW_HOOKS}


def test_a_missing_config_gets_every_rflow_hook() -> None:
    merged = merge_hooks(None, "research")
    assert merged is not None
    assert existing_hook_ids(yaml.safe_load(merged)) == rflow_ids()


def test_user_hooks_and_comments_survive_the_merge() -> None:
    merged = merge_hooks(USER_CONFIG, "research")
    assert merged is not None
    assert merged.startswith(USER_CONFIG)  # appended, nothing rewritten
    config = yaml.safe_load(merged)
    assert existing_hook_ids(config) == {"black"} | rflow_ids()
    assert config["default_stages"] == ["pre-commit"]


def test_merging_twice_changes_nothing() -> None:
    merged = merge_hooks(USER_CONFIG, "research")
    assert merge_hooks(merged, "research") is None


def test_repos_that_are_not_last_keep_the_following_keys() -> None:
    text = (
        "repos:\n- repo: local\n  hooks:\n  - id: mine\n    name: m\n    entry: m\n"
        "    language: system\nfail_fast: true\n"
    )
    merged = merge_hooks(text, "research")
    config = yaml.safe_load(merged)
    assert config["fail_fast"] is True
    assert existing_hook_ids(config) == {"mine"} | rflow_ids()


def test_flow_style_repos_are_rewritten_safely() -> None:
    merged = merge_hooks("repos: []\n", "research")
    assert existing_hook_ids(yaml.safe_load(merged)) == rflow_ids()


def test_hook_file_pattern_follows_the_research_folder() -> None:
    merged = merge_hooks(None, "my.studies")
    hook = yaml.safe_load(merged)["repos"][0]["hooks"][0]
    assert hook["files"].startswith(r"^my\.studies/")
