"""`rflow init`: make an existing repository a research repository; idempotent."""

from __future__ import annotations

import sys
from pathlib import Path

from researchflow.adapters.git import require_repository
from researchflow.adapters.process import CommandFailed, run
from researchflow.base.errors import UserError
from researchflow.base.fileio import write_atomic
from researchflow.base.frozen import frozen
from researchflow.base.names import CONFIG_FILE, GITLAB_CI, JOB_FILE, PROBLEM_FILE, PROBLEMS_DIR
from researchflow.documents.config import Config
from researchflow.documents.hooks import merge_hooks
from researchflow.documents.project import BUILTIN_TEMPLATES

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
GITIGNORE_ENTRY = ".rflow/"
# what MLflow itself writes in the working folder when a script runs without rflow: ignored,
# so a plain `python train.py` does not make the tree dirty for the next `rflow run`
MLFLOW_DEFAULTS = ("mlflow.db", "mlruns/")

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


@frozen
class InitResult:
    changes: tuple[str, ...]
    unchanged: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, list[str]]:
        return {
            "changed": list(self.changes),
            "unchanged": list(self.unchanged),
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        lines = [f"  {change}" for change in self.changes] or [
            "already initialised: nothing to change"
        ]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def init(
    config: Config, *, with_dvc: bool = True, gitlab_ci: bool = False, install_hook: bool = True
) -> InitResult:
    root = config.root
    require_repository(root)
    changes: list[str] = []
    unchanged: list[str] = []

    def record(changed: bool, what: str) -> None:
        (changes if changed else unchanged).append(what)

    record(_write_config(root, config), f"{CONFIG_FILE}: written with the defaults")
    record(_ignore_state(root), f".gitignore: {GITIGNORE_ENTRY} added")
    record(_merge_pre_commit(root, config), f"{PRE_COMMIT_CONFIG}: rflow hooks added")
    notes: list[str] = []
    if install_hook:
        record(_install_hook(root, notes), "pre-commit install: the git hook installed")
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
    return InitResult(tuple(changes), tuple(unchanged), tuple(notes))


def _write_config(root: Path, config: Config) -> bool:
    if config.source is not None:  # researchflow.yaml or [tool.researchflow] already there
        return False
    write_atomic(root / CONFIG_FILE, CONFIG_TEMPLATE)
    return True


def _ignore_state(root: Path) -> bool:
    path = root / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    entries = {line.strip().strip("/") for line in text.splitlines()}
    missing = [e for e in (GITIGNORE_ENTRY, *MLFLOW_DEFAULTS) if e.strip("/") not in entries]
    if not missing:
        return False
    separator = "" if not text or text.endswith("\n") else "\n"
    added = "".join(entry + "\n" for entry in missing)
    write_atomic(path, f"{text}{separator}{added}")
    return True


def _install_hook(root: Path, notes: list[str]) -> bool:
    """`pre-commit install` when pre-commit is available and the hook is not there yet."""
    import importlib.util
    import shutil

    from researchflow.adapters.git import git

    hook = git(root, "rev-parse", "--git-path", "hooks/pre-commit", check=False).strip()
    hook_path = Path(hook) if Path(hook).is_absolute() else root / hook
    if hook and hook_path.is_file() and "pre-commit" in hook_path.read_text(errors="replace"):
        return False
    if importlib.util.find_spec("pre_commit") is not None:
        argv = [sys.executable, "-m", "pre_commit", "install"]
    elif shutil.which("pre-commit"):
        argv = ["pre-commit", "install"]
    else:
        notes.append("pre-commit is not installed: `pip install pre-commit && pre-commit install`")
        return False
    try:
        run(argv, cwd=root)
    except CommandFailed as error:
        reason = (error.stderr or error.stdout or "").strip().splitlines()
        notes.append(
            f"`pre-commit install` failed ({reason[-1] if reason else 'no output'}): "
            "run it yourself once that is fixed"
        )
        return False
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
    from researchflow.documents.gitlab_ci import TEMPLATE, builtin_template, job_text

    path = root / JOB_FILE
    if path.exists():  # the team may have tuned it: never overwrite
        return False
    override = root / config.templates_dir / TEMPLATE
    template = override.read_text(encoding="utf-8") if override.is_file() else builtin_template()
    from researchflow.verdicts.distribution import installed_spec

    write_atomic(path, job_text(template, config.research_dir, installed_spec()))
    return True


def _gitlab_include(root: Path) -> str | None:
    """The new `.gitlab-ci.yml` text, or None when it already includes the job."""
    import yaml

    from researchflow.documents.gitlab_ci import IncludeNotEditable, merge_include

    path = root / GITLAB_CI
    text = path.read_text(encoding="utf-8") if path.exists() else None
    try:
        merged = merge_include(text)
    except (yaml.YAMLError, IncludeNotEditable) as error:
        raise UserError(
            f"{GITLAB_CI}: include: {error} (add '- local: {JOB_FILE}' to include: by hand)"
        ) from None
    return merged
