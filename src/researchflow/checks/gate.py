"""What a merge request may not change along with its research (`check --changed`).

In a merge-request pipeline the gate's configuration is read from the target branch, not
from the branch being judged. A merge request that changes that configuration (the config
file, the CI job, the allowed-signers file) or moves, renames or deletes a hypothesis
folder fails: a maintainer merges such changes on their own, where they are seen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from researchflow.checks.model import GATE, GATE_SUBJECT, CheckResult, judged
from researchflow.config import CONFIG_FILE, Config
from researchflow.problems import Problem

MAINTAINER = (
    "a maintainer must merge changes to the gate's configuration or to hypothesis folders "
    "on their own, in a merge request without research results"
)
CI_JOB = ".gitlab/rflow-check.yml"


@dataclass(frozen=True)
class Gate:
    config: Config  # the target branch's settings, rooted at this checkout
    base: str
    ref: str  # the target branch as this clone has it
    result: CheckResult


def judge(config: Config, env: Mapping[str, str]) -> Gate:
    """Read the target's configuration and judge what the merge request changes of it."""
    from researchflow.adapters.git import git
    from researchflow.checks import selection
    from researchflow.config import load_config_at

    base = selection.merge_base(config, env)
    ref = selection.target_ref(config, env) or base
    target = load_config_at(config.root, ref)
    problems: list[Problem] = []
    differences = _differences(target, config)
    if differences:
        shown = config.source or CONFIG_FILE
        problems.append(
            Problem(
                shown,
                1,
                ", ".join(differences),
                f"the merge request changes the gate's configuration ({shown})",
                MAINTAINER,
            )
        )
    guarded = [CI_JOB, *(p for p in (target.identity.allowed_signers,) if p)]
    touched = git(config.root, "diff", "--name-only", base, "HEAD", "--", *guarded).split()
    for path in touched:
        problems.append(
            Problem(
                path, 1, "file", "the merge request changes the gate's configuration", MAINTAINER
            )
        )
    for folder in selection.moved_folders(target, base, target.research_dir):
        problems.append(
            Problem(
                folder,
                1,
                "folder",
                "the merge request moves, renames or deletes this hypothesis folder",
                MAINTAINER,
            )
        )
    research = [target.research_dir, config.research_dir]
    for folder in selection.folders_without_id(config, base, research):
        problems.append(
            Problem(
                folder,
                1,
                "folder",
                "the merge request changes files in a research folder whose name has no "
                "hypothesis ID, so no check would cover them",
                "keep research in <ID>-<slug> folders (e.g. H-007-graded-target); " + MAINTAINER,
            )
        )
    detail = f"configuration read from {ref}"
    return Gate(target, base, ref, judged(GATE_SUBJECT, GATE, problems, detail))


def _differences(target: Config, source: Config) -> list[str]:
    names = []
    for spec in dataclasses.fields(Config):
        if spec.name in ("root", "source"):
            continue
        if getattr(target, spec.name) != getattr(source, spec.name):
            names.append(spec.name)
    return names
