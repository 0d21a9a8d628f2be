"""rflow's pre-commit hooks, as `rflow init` merges them into a research repository (pure)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from researchflow.base import safeyaml
from researchflow.base.frozen import frozen


@frozen
class Hook:
    id: str
    name: str
    entry: str
    files: str  # a regex over repository paths; {research} is the research folder
    pass_filenames: bool = True

    def as_config(self, research_dir: str) -> dict[str, Any]:
        config: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "entry": self.entry,
            "language": "system",
            "files": self.files.format(research=re.escape(research_dir)),
        }
        if not self.pass_filenames:
            config["pass_filenames"] = False
        return config


RFLOW_HOOKS: tuple[Hook, ...] = (
    Hook(
        id="rflow-validate",
        name="rflow validate (plans, reports, problem statements)",
        entry="rflow validate",
        files=r"^{research}/([^/]+/(plan|report)|problem|problems/[^/]+)\.qmd$",
    ),
    Hook(
        id="rflow-registration",
        name="rflow registration (approved plans change only by deviation)",
        entry="rflow registration-hook",
        files=r"^{research}/[^/]+/plan\.qmd$",
    ),
    Hook(
        id="rflow-notebooks",
        name="rflow notebooks (valid, run top to bottom)",
        entry="rflow check-notebooks",
        files=r"^{research}/.*\.ipynb$",
    ),
)


def existing_hook_ids(config: Any) -> set[str]:
    ids: set[str] = set()
    if not isinstance(config, dict):
        return ids
    for repo in config.get("repos") or []:
        if isinstance(repo, dict):
            for hook in repo.get("hooks") or []:
                if isinstance(hook, dict) and isinstance(hook.get("id"), str):
                    ids.add(hook["id"])
    return ids


def local_repo_block(hooks: list[Hook], research_dir: str, indent: int) -> str:
    """A `- repo: local` list item holding the hooks, indented to sit in `repos:`."""
    item = [{"repo": "local", "hooks": [h.as_config(research_dir) for h in hooks]}]
    text = yaml.safe_dump(item, sort_keys=False, default_flow_style=False, width=1000)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def merge_hooks(text: str | None, research_dir: str) -> str | None:
    """The pre-commit config with rflow's missing hooks added, or None when nothing is missing.

    The user's file is edited as text, not re-dumped, so their comments and layout survive.
    """
    if text is None or not text.strip():
        return "repos:\n" + local_repo_block(list(RFLOW_HOOKS), research_dir, 0)
    config = safeyaml.load(text)
    missing = [h for h in RFLOW_HOOKS if h.id not in existing_hook_ids(config)]
    if not missing:
        return None
    node = yaml.compose(text, Loader=safeyaml.SafeLoader)
    repos = _repos_node(node)
    if repos is None:
        block = local_repo_block(missing, research_dir, 0)
        return text.rstrip("\n") + "\nrepos:\n" + block
    appended = safeyaml.append_to_block_list(
        text, repos, lambda indent: local_repo_block(missing, research_dir, indent)
    )
    if appended is not None:
        return appended
    # an empty or flow-style `repos:` cannot be extended as text: rewrite that file
    config = dict(config or {})
    local = {"repo": "local", "hooks": [h.as_config(research_dir) for h in missing]}
    config["repos"] = [*(config.get("repos") or []), local]
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=False, width=1000)


def _repos_node(node: yaml.Node | None) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "repos":
            if isinstance(value, yaml.ScalarNode) and value.value in ("", "null", "~"):
                return yaml.SequenceNode("tag:yaml.org,2002:seq", [], flow_style=True)
            return value if isinstance(value, yaml.Node) else None
    return None
