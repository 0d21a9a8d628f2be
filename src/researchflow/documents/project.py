"""The repository as researchflow sees it: hypothesis folders and their files, the default
branch, how paths are shown, and where templates come from.

Every command and check asks here rather than spelling a file name or a rule again. The
portfolio (every hypothesis on every branch) is read by `researchflow.views.portfolio_reader`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from researchflow.base.errors import UserError
from researchflow.base.names import (
    CI_MERGE_REQUEST_DIFF_BASE,
    CI_MERGE_REQUEST_TARGET,
    PLAN_FILE,
    REPORT_FILE,
)
from researchflow.documents.config import Config

DOCUMENT_NAMES = (PLAN_FILE, REPORT_FILE)
FALLBACK_DEFAULTS = ("main", "master")
BUILTIN_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


# --- documents under the research folder -----------------------------------------------


def discover_documents(config: Config) -> list[Path]:
    """Every plan and report one level under the research folder, in a stable order."""
    research = config.research_path
    found: list[Path] = []
    for name in DOCUMENT_NAMES:
        found.extend(research.glob(f"*/{name}"))
    return sorted(found)


def expand_documents(paths: list[Path]) -> list[Path]:
    """Files as given; folders become the plans and reports anywhere under them."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.qmd") if p.name in DOCUMENT_NAMES))
        else:
            files.append(path)
    return files


# --- how paths are shown ----------------------------------------------------------------


def shown_path(path: Path) -> str:
    """The path as a user would type it: relative to the working folder when inside it."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def shown_under(path: Path, root: Path) -> str:
    """A path relative to the repository root, POSIX style (runs.yaml, reports, checks)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# --- templates -------------------------------------------------------------------------


def template_source(config: Config, name: str) -> tuple[Path, str]:
    """(file, how to name it in messages): the repository's override in templates_dir wins
    over the built-in template of that name."""
    override = config.root / config.templates_dir / name
    if override.is_file():
        return override, f"{config.templates_dir}/{name}"
    return BUILTIN_TEMPLATES / name, f"built-in {name}"


def read_template(config: Config, name: str) -> tuple[str, str]:
    """The template's text and its name for messages; unreadable is a UserError."""
    source, shown = template_source(config, name)
    try:
        return source.read_text(encoding="utf-8"), shown
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{shown}: cannot be read: {error} (save it as UTF-8)") from None


# --- the default branch ----------------------------------------------------------------


def default_branch_names(
    base_branch: str | None, remote_head: str | None, init_default: str | None = None
) -> list[str]:
    """Names the default branch may have, best first (pure).

    The configured `base_branch` alone when set; else what `<remote>/HEAD` points at,
    `init.defaultBranch`, then main and master.
    """
    if base_branch:
        return [base_branch]
    names = [remote_head, init_default, *FALLBACK_DEFAULTS]
    return list(dict.fromkeys(name for name in names if name))


def default_branches(config: Config, *, ask_remote: bool = False) -> list[str]:
    """The one default-branch resolver: `default_branch_names` for this repository.

    `ask_remote`: when `<remote>/HEAD` is not known locally, ask the remote (network).
    """
    from researchflow.adapters import git

    if config.base_branch:
        return [config.base_branch]
    root, remote = config.root, config.gitlab.remote
    head = git.remote_default_branch(root, remote, ask_remote=ask_remote)
    return default_branch_names(None, head, git.config_value(root, "init.defaultBranch"))


def default_branch_refs(config: Config, *, ask_remote: bool = False) -> list[str]:
    """Refs to try for the default branch, best first: the remote's copy, then the local."""
    remote = config.gitlab.remote
    refs: list[str] = []
    for name in default_branches(config, ask_remote=ask_remote):
        refs += [f"{remote}/{name}", name]
    return refs


# --- where a merge request's changes start ---------------------------------------------


def _commit_exists(root: Path, rev: str) -> bool:
    from researchflow.adapters import git

    return git.rev_parse(root, rev) is not None


def target_ref(config: Config, env: Mapping[str, str]) -> str | None:
    """The target branch as a ref this clone has (`origin/main`), or None."""
    target = env.get(CI_MERGE_REQUEST_TARGET, "")
    remote = config.gitlab.remote
    refs = [f"{remote}/{target}", target] if target else default_branch_refs(config)
    return next((ref for ref in refs if ref and _commit_exists(config.root, ref)), None)


def merge_base(config: Config, env: Mapping[str, str]) -> str:
    """The commit a merge request's changes are measured from."""
    from researchflow.adapters.git import git
    from researchflow.adapters.process import CommandFailed

    root = config.root
    base_sha = env.get(CI_MERGE_REQUEST_DIFF_BASE, "")
    if base_sha and _commit_exists(root, base_sha):
        return base_sha
    target = env.get(CI_MERGE_REQUEST_TARGET, "")
    remote = config.gitlab.remote
    refs = [f"{remote}/{target}", target] if target else default_branch_refs(config)
    for ref in refs:
        if ref and _commit_exists(root, ref):
            try:
                return git(root, "merge-base", "HEAD", ref).strip()
            except CommandFailed:
                continue
    wanted = target or (config.base_branch or "the default branch")
    raise UserError(
        f"--changed: cannot find {wanted} to compare with "
        f"(fetch it: `git fetch {remote} {target or 'main'}`, or name the hypotheses)"
    )
