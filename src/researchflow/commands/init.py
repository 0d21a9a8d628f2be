"""`rflow init`: make an existing repository a research repository; idempotent."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from researchflow.adapters.git import require_repository
from researchflow.adapters.process import CommandFailed, run
from researchflow.config import CONFIG_FILE, Config
from researchflow.errors import UserError
from researchflow.fileio import write_atomic
from researchflow.gitlab_ci import GITLAB_CI, JOB_FILE
from researchflow.hooks import merge_hooks
from researchflow.programme import PROBLEM_FILE, PROBLEMS_DIR

BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
GITIGNORE_ENTRY = ".rflow/"

CONFIG_TEMPLATE = """\
# researchflow settings; every key is optional (the values below are the defaults).
research_dir: research
branch_prefix: hyp/
# base_branch: main            # default: the repository's default branch
templates_dir: .researchflow/templates
mlflow:
  # tracking_uri: http://mlflow.example:5000  # default: $MLFLOW_TRACKING_URI or .rflow/
  # experiment: my-project                      # default: the repository's folder name
dvc:
  enabled: true
quarto:
  required: false
"""

TEMPLATES_README = """\
# Template overrides

Put a `plan.qmd` (or any other researchflow template) here to replace the built-in one
for this repository. Start from the built-in templates shipped with researchflow.
"""


@dataclass(frozen=True)
class InitResult:
    changes: tuple[str, ...]
    unchanged: tuple[str, ...]

    def to_json(self) -> dict[str, list[str]]:
        return {"changed": list(self.changes), "unchanged": list(self.unchanged)}

    def to_text(self) -> str:
        if not self.changes:
            return "already initialised: nothing to change"
        return "\n".join(f"  {change}" for change in self.changes)


def init(config: Config, *, with_dvc: bool = True, gitlab_ci: bool = False) -> InitResult:
    root = config.root
    require_repository(root)
    changes: list[str] = []
    unchanged: list[str] = []

    def record(changed: bool, what: str) -> None:
        (changes if changed else unchanged).append(what)

    record(_write_config(root, config), f"{CONFIG_FILE}: written with the defaults")
    record(_ignore_state(root), f".gitignore: {GITIGNORE_ENTRY} added")
    record(_merge_pre_commit(root, config), f"{PRE_COMMIT_CONFIG}: rflow hooks added")
    record(_templates_folder(root, config), f"{config.templates_dir}/: created for overrides")
    problem = f"{config.research_dir.strip('/')}/{PROBLEM_FILE}"
    record(_problem_statement(root, config), f"{problem}: a draft problem statement to agree on")
    if with_dvc and config.dvc.enabled:
        record(_dvc_init(root), ".dvc/: `dvc init` ran")
    if gitlab_ci:
        include = _gitlab_include(root)  # first: a refused include must leave nothing behind
        record(_gitlab_job(root, config), f"{JOB_FILE}: the rflow check job written")
        if include is not None:
            write_atomic(root / GITLAB_CI, include)
        record(include is not None, f"{GITLAB_CI}: includes {JOB_FILE}")
    return InitResult(tuple(changes), tuple(unchanged))


def _write_config(root: Path, config: Config) -> bool:
    if config.source is not None:  # researchflow.yaml or [tool.researchflow] already there
        return False
    write_atomic(root / CONFIG_FILE, CONFIG_TEMPLATE)
    return True


def _ignore_state(root: Path) -> bool:
    path = root / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    entries = {line.strip() for line in text.splitlines()}
    if entries & {GITIGNORE_ENTRY, ".rflow", "/.rflow/", "/.rflow"}:
        return False
    separator = "" if not text or text.endswith("\n") else "\n"
    write_atomic(path, f"{text}{separator}{GITIGNORE_ENTRY}\n")
    return True


def _merge_pre_commit(root: Path, config: Config) -> bool:
    import yaml

    path = root / PRE_COMMIT_CONFIG
    text = path.read_text(encoding="utf-8") if path.exists() else None
    try:
        merged = merge_hooks(text, config.research_dir)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise UserError(
            f"{PRE_COMMIT_CONFIG}{line}: invalid YAML (fix it, then rerun `rflow init`)"
        ) from None
    if merged is None:
        return False
    write_atomic(path, merged)
    return True


def _templates_folder(root: Path, config: Config) -> bool:
    readme = root / config.templates_dir / "README.md"
    if readme.parent.is_dir():
        return False
    write_atomic(readme, TEMPLATES_README)
    return True


def _problem_statement(root: Path, config: Config) -> bool:
    """The programme's problem statement, as a draft; never touched once it exists."""
    path = config.research_path / PROBLEM_FILE
    if path.exists() or any((config.research_path / PROBLEMS_DIR).glob("*.qmd")):
        return False
    override = root / config.templates_dir / PROBLEM_FILE
    source = override if override.is_file() else BUILTIN_TEMPLATES / PROBLEM_FILE
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{source}: cannot be read: {error} (save it as UTF-8)") from None
    write_atomic(path, text)
    return True


def _dvc_init(root: Path) -> bool:
    if (root / ".dvc").is_dir():
        return False
    try:
        run([sys.executable, "-m", "dvc", "init", "--quiet"], cwd=root)
    except CommandFailed as error:
        raise UserError(f"dvc init failed: {error} (run it by hand, or use --no-dvc)") from None
    return True


def _gitlab_job(root: Path, config: Config) -> bool:
    from researchflow.gitlab_ci import TEMPLATE, builtin_template, job_text

    path = root / JOB_FILE
    if path.exists():  # the team may have tuned it: never overwrite
        return False
    override = root / config.templates_dir / TEMPLATE
    template = override.read_text(encoding="utf-8") if override.is_file() else builtin_template()
    write_atomic(path, job_text(template, config.research_dir))
    return True


def _gitlab_include(root: Path) -> str | None:
    """The new `.gitlab-ci.yml` text, or None when it already includes the job."""
    import yaml

    from researchflow.gitlab_ci import IncludeNotEditable, merge_include

    path = root / GITLAB_CI
    text = path.read_text(encoding="utf-8") if path.exists() else None
    try:
        merged = merge_include(text)
    except (yaml.YAMLError, IncludeNotEditable) as error:
        raise UserError(
            f"{GITLAB_CI}: include: {error} (add '- local: {JOB_FILE}' to include: by hand)"
        ) from None
    return merged
