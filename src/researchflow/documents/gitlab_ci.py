"""The GitLab CI job `rflow init --gitlab-ci` adds: the template, and how it is included
from the user's `.gitlab-ci.yml` (pure text work; the user's file is edited, not re-dumped,
so their comments and layout survive)."""

from __future__ import annotations

import json
import re
from importlib import resources

import yaml

from researchflow.base import safeyaml
from researchflow.base.names import JOB_FILE

TEMPLATE = "gitlab-ci.yml"
INCLUDE_ITEM = f"local: {JOB_FILE}"


class IncludeNotEditable(Exception):
    """The user's `include:` has a shape we do not rewrite; they add one line by hand."""


def builtin_template() -> str:
    return (resources.files("researchflow") / "templates" / TEMPLATE).read_text(encoding="utf-8")


def job_text(template: str, research_dir: str, pip_spec: str | None = None) -> str:
    """The template with the research folder the repository uses and, when known, the pip
    requirement of the installed rflow."""
    text = template.replace("- research/**/*", f"- {research_dir.strip('/')}/**/*")
    if pip_spec:
        text = text.replace('RFLOW_PIP_SPEC: ""', f"RFLOW_PIP_SPEC: {json.dumps(pip_spec)}", 1)
    return text


def includes_job(config: object) -> bool:
    include = config.get("include") if isinstance(config, dict) else None
    items = include if isinstance(include, list) else [include]
    for item in items:
        if item == JOB_FILE or item == f"/{JOB_FILE}":
            return True
        if isinstance(item, dict) and str(item.get("local", "")).lstrip("/") == JOB_FILE:
            return True
    return False


def merge_include(text: str | None) -> str | None:
    """`.gitlab-ci.yml` including the rflow job, or None when it already does."""
    if text is None or not text.strip():
        return f"include:\n  - {INCLUDE_ITEM}\n"
    config = safeyaml.load(text)
    if includes_job(config):
        return None
    if not isinstance(config, dict):
        raise IncludeNotEditable("is not a mapping of jobs")
    if "include" not in config:
        separator = "" if text.endswith("\n") else "\n"
        return f"{text}{separator}\ninclude:\n  - {INCLUDE_ITEM}\n"
    node = yaml.compose(text, Loader=safeyaml.SafeLoader)
    if node is None:
        return None
    for key, value in node.value:
        if key.value != "include":
            continue
        appended = safeyaml.append_to_block_list(
            text, value, lambda indent: f"{' ' * indent}- {INCLUDE_ITEM}\n"
        )
        if appended is not None:
            return appended
        if isinstance(value, yaml.ScalarNode) and re.fullmatch(r"[^\s#]+", value.value):
            # `include: other.yml` becomes a list holding both
            start, end = value.start_mark.index, value.end_mark.index
            item = text[start:end]
            return f"{text[:start]}\n  - {item}\n  - {INCLUDE_ITEM}{text[end:]}"
    raise IncludeNotEditable("has an include: this tool does not rewrite")
