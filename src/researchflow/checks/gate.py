"""What a merge request may not change along with its research (`check --changed`).

In a merge-request pipeline the gate's configuration is read from the target branch, not
from the branch being judged. A merge request that changes that configuration (the config
file, the CI job, the allowed-signers file) or moves, renames or deletes a hypothesis
folder fails: a maintainer merges such changes on their own, where they are seen. So does
one that changes the `rflow-check` job in `.gitlab-ci.yml` (or what every job inherits) or
the problem statement. A store file committed to the repository is never the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from researchflow.base.frozen import fields, frozen
from researchflow.base.names import CONFIG_FILE, GITLAB_CI, JOB_FILE, PROBLEM_FILE
from researchflow.base.problems import Problem
from researchflow.checks.model import GATE, GATE_SUBJECT, CheckResult, judged
from researchflow.documents.config import Config

MAINTAINER = (
    "a maintainer must merge changes to the gate's configuration or to hypothesis folders "
    "on their own, in a merge request without research results"
)
CI_JOB = JOB_FILE
CI_FILE = GITLAB_CI
JOB = "rflow-check"
# what the rflow-check job is made of besides its own key: what every job inherits
CI_GLOBALS = (
    "include",
    "default",
    "variables",
    "workflow",
    "stages",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
)


@frozen
class Gate:
    config: Config  # the target branch's settings, rooted at this checkout
    base: str
    ref: str  # the target branch as this clone has it
    result: CheckResult


def judge(config: Config, env: Mapping[str, str]) -> Gate:
    """Read the target's configuration and judge what the merge request changes of it."""
    from researchflow.adapters.git import diff_paths
    from researchflow.checks import selection
    from researchflow.documents import project
    from researchflow.documents.config import load_config_at

    base = project.merge_base(config, env)
    ref = project.target_ref(config, env) or base
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
    for path in guarded:
        for touched in diff_paths(config.root, base, "HEAD", path):
            problems.append(
                Problem(
                    touched,
                    1,
                    "file",
                    "the merge request changes the gate's configuration",
                    MAINTAINER,
                )
            )
    problems += ci_job_problems(config, base)
    statement = f"{target.research_dir.strip('/')}/{PROBLEM_FILE}"
    if diff_paths(config.root, base, "HEAD", statement):
        problems.append(
            Problem(
                statement,
                1,
                "file",
                "the merge request changes the problem statement its hypotheses are judged by",
                MAINTAINER,
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
    for spec in fields(Config):
        if spec.name in ("root", "source"):
            continue
        if getattr(target, spec.name) != getattr(source, spec.name):
            names.append(spec.name)
    return names


def ci_job_problems(config: Config, base: str) -> list[Problem]:
    """`.gitlab-ci.yml` changed in the `rflow-check` job or in what every job inherits
    (include, default, variables, …): one line naming the keys."""
    from researchflow.adapters.gitobjects import read_blobs

    blobs = read_blobs(config.root, [(base, CI_FILE), ("HEAD", CI_FILE)])
    before, after = blobs.get((base, CI_FILE)), blobs.get(("HEAD", CI_FILE))
    if before == after:
        return []
    old, new = _ci_yaml(before), _ci_yaml(after)
    if old is None or new is None:
        keys = [CI_FILE]  # unreadable on one side: judged changed, fail closed
    else:
        keys = [key for key in (JOB, *CI_GLOBALS) if old.get(key) != new.get(key)]
    if not keys:
        return []
    return [
        Problem(
            CI_FILE,
            _line_of(after, keys[0]),
            ", ".join(keys),
            f"the merge request changes the {JOB} job's definition",
            MAINTAINER,
        )
    ]


def _ci_yaml(blob: bytes | None) -> dict[str, object] | None:
    """The CI file's top level; {} when absent; None when it cannot be read as YAML
    (GitLab's `!reference` tags included)."""
    import yaml

    from researchflow.base.errors import RflowError
    from researchflow.base.safeyaml import check_limits

    if blob is None:
        return {}
    try:
        check_limits(blob.decode("utf-8", "replace"))
    except RflowError:
        return None

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, tag, node: f"{tag} {node.value!r}")
    try:
        data = yaml.load(blob, Loader=_Loader)
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else {} if data is None else None


def _line_of(blob: bytes | None, key: str) -> int:
    if blob is None:
        return 1
    for number, line in enumerate(blob.decode("utf-8", "replace").split("\n"), start=1):
        if line.startswith(f"{key}:"):
            return number
    return 1


def committed_store(config: Config) -> Problem | None:
    """The embedded store as a file git tracks: the merge request could have written it, so
    the gate never reads it."""
    from researchflow.adapters.git import tracked_under
    from researchflow.documents.config import tracking_uri

    uri = tracking_uri(config)
    if uri.startswith("sqlite:///"):
        where = Path(uri[len("sqlite:///") :])
    elif uri.startswith("file:") or "://" not in uri:
        where = Path(uri.removeprefix("file://").removeprefix("file:"))
    else:
        return None
    where = where if where.is_absolute() else config.root / where
    try:
        relative = where.resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return None  # outside the repository: not something the branch carries
    if not tracked_under(config.root, relative):
        return None
    return Problem(
        relative,
        1,
        "store",
        "the MLflow store is a file committed to the repository, so the merge request "
        "could have written it; the gate does not read it",
        "`git rm --cached` it, and point MLFLOW_TRACKING_URI at the team's server "
        "(or `rflow store import` the runs in CI)",
    )
