"""`researchflow.yaml` or `[tool.researchflow]` in `pyproject.toml` → a frozen Config."""

from __future__ import annotations

import os
from pathlib import Path

from researchflow.base import TYPE_CHECKING
from researchflow.base.errors import UserError
from researchflow.base.frozen import field, frozen
from researchflow.base.names import CONFIG_FILE

if TYPE_CHECKING:
    from typing import Any

PYPROJECT = "pyproject.toml"

DEFAULT_SECTIONS = ("Context", "Hypothesis", "Predictions", "Experiment design", "Risks")
DEFAULT_DESIGN_STEPS = (
    "Data extraction",
    "Feature engineering",
    "Statistical evaluation",
    "Modelling",
    "Model evaluation",
)
DEFAULT_REPORT_SECTIONS = ("Summary", "Results", "Steps taken", "Code", "Data", "What next")


# The lifecycle stages `rflow phase` moves through, each with its deliverable (phases.py)
DEFAULT_PHASES = (
    ("research", "what is known: prior work and a feasibility note"),
    ("data-exploration", "the data understood: an exploration notebook and its quality notes"),
    ("modelling", "a model and its offline evaluation against the baseline"),
    ("productization", "the model behind its interface, monitored"),
    ("ab-test", "the online experiment and its result"),
    ("results-analysis", "the decision: ship, iterate or stop, with its reasons"),
)


@frozen
class SectionsConfig:
    required: tuple[str, ...] = DEFAULT_SECTIONS
    design: str = "Experiment design"
    design_steps: tuple[str, ...] = DEFAULT_DESIGN_STEPS
    report: tuple[str, ...] = DEFAULT_REPORT_SECTIONS


@frozen
class MlflowConfig:
    tracking_uri: str | None = None  # None: $MLFLOW_TRACKING_URI, else the embedded store
    experiment: str | None = None  # None: one experiment per repository, named after it


@frozen
class GitlabConfig:
    url: str | None = None  # None: derived from the origin URL
    project: str | None = None  # "group/project"; None: derived from the origin URL
    remote: str = "origin"


@frozen
class DvcConfig:
    enabled: bool = True


@frozen
class ReviewConfig:
    min_approvals: int = 1  # reviewers who approve a plan before it counts as approved


@frozen
class QuartoConfig:
    required: bool = False  # True: `rflow check` fails when Quarto is missing


@frozen
class IdentityConfig:
    """How `rflow check` verifies who approved: the commit author (always), GitLab's record of
    merge-request approvals, or a commit signature from an allowed-signers file."""

    mode: str = "author"
    allowed_signers: str | None = None  # a path on the target branch (mode: signature)


@frozen
class Config:
    root: Path = field(default_factory=Path.cwd)
    source: str | None = None  # the file the settings came from, None for defaults
    research_dir: str = "research"
    branch_prefix: str = "hyp/"
    base_branch: str | None = None  # None: the repository's default branch
    templates_dir: str = ".researchflow/templates"
    sections: SectionsConfig = field(default_factory=SectionsConfig)
    mlflow: MlflowConfig = field(default_factory=MlflowConfig)
    gitlab: GitlabConfig = field(default_factory=GitlabConfig)
    dvc: DvcConfig = field(default_factory=DvcConfig)
    quarto: QuartoConfig = field(default_factory=QuartoConfig)
    review: ReviewConfig = field(default_factory=ReviewConfig)
    wip_limit: int = 1  # hypotheses one executor may have `running` at once
    timebox_max_days: int = 5  # validate warns at review when timebox_days is longer
    review_max_days: int = 2  # status warns when a plan waits in review longer
    grooming_max_days: int = 2  # status warns when an open idea waits longer to be groomed
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    people: tuple[tuple[str, tuple[str, ...]], ...] = ()  # name → git e-mails
    phases: tuple[tuple[str, str], ...] = DEFAULT_PHASES  # (name, deliverable), in order

    @property
    def people_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.people)

    @property
    def research_path(self) -> Path:
        return self.root / self.research_dir

    @property
    def state_path(self) -> Path:
        """Local, git-ignored state: the embedded MLflow store, caches."""
        return self.root / ".rflow"


_NESTED = {
    "sections": SectionsConfig,
    "mlflow": MlflowConfig,
    "gitlab": GitlabConfig,
    "dvc": DvcConfig,
    "quarto": QuartoConfig,
    "review": ReviewConfig,
    "identity": IdentityConfig,
}


def find_root(start: Path | None = None) -> Path:
    """The nearest folder holding a config file or `.git`, else the start folder."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file() or (folder / ".git").exists():
            return folder
    return start


def load_config(root: Path | None = None) -> Config:
    """Read the repository's settings, reporting unknown keys and wrong types clearly."""
    root = find_root(root)
    yaml_path = root / CONFIG_FILE
    if yaml_path.is_file():
        data, lines = _read_yaml(yaml_path)
        return _build(data, root, CONFIG_FILE, lines)
    pyproject = root / PYPROJECT
    if pyproject.is_file():
        table = _read_pyproject(pyproject)
        if table is not None:
            return _build(table, root, f"{PYPROJECT} [tool.researchflow]")
    return Config(root=root)


def load_config_at(root: Path, rev: str) -> Config:
    """The settings as they are at a git revision (the target branch, for the gate)."""
    from researchflow.adapters.gitobjects import read_blobs

    blobs = read_blobs(root, [(rev, CONFIG_FILE), (rev, PYPROJECT)])
    raw = blobs.get((rev, CONFIG_FILE))
    if raw is not None:
        from researchflow.documents.document import DocumentError, decode, load_yaml_mapping

        shown = f"{rev}:{CONFIG_FILE}"
        try:
            data, _ = load_yaml_mapping(decode(raw))
        except DocumentError as error:
            raise UserError(f"{shown}:{error.line}: {error.message} ({error.fix})") from None
        return _build(data, root, CONFIG_FILE)
    raw = blobs.get((rev, PYPROJECT))
    if raw is not None:
        import tomllib

        try:
            section = tomllib.loads(raw.decode("utf-8")).get("tool", {}).get("researchflow")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise UserError(f"{rev}:{PYPROJECT}: invalid TOML: {error} (fix the syntax)") from None
        if isinstance(section, dict):
            return _build(section, root, f"{PYPROJECT} [tool.researchflow]")
    return Config(root=root)


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    from researchflow.documents.document import DocumentError, decode, load_yaml_mapping

    try:
        return load_yaml_mapping(decode(path.read_bytes()))
    except DocumentError as error:
        raise UserError(f"{path.name}:{error.line}: {error.message} ({error.fix})") from None


def _read_pyproject(path: Path) -> dict[str, Any] | None:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{PYPROJECT}: invalid TOML: {error} (fix the syntax)") from None
    section = data.get("tool", {}).get("researchflow")
    if section is not None and not isinstance(section, dict):
        raise UserError(f"{PYPROJECT}: tool.researchflow: must be a table ([tool.researchflow])")
    return section


def _build(
    data: dict[str, Any], root: Path, source: str, lines: dict[str, int] | None = None
) -> Config:
    """The Config the settings make; UserError with the first problem, at its line where
    the file has lines to show (`lines`)."""
    from researchflow.documents.config_schema import read_settings
    from researchflow.documents.schema import error_line

    values, problems = read_settings(data, source, lines)
    if problems:
        raise UserError(error_line(problems[0], located=lines is not None))
    return Config(root=root, source=source, **_records(values))


def _records(values: dict[str, Any]) -> dict[str, Any]:
    """The values set, each section made into its record (what is not set keeps its default)."""
    made = {}
    for key, value in values.items():
        if value is None:
            continue
        if key in _NESTED:
            value = _NESTED[key](**{name: v for name, v in value.items() if v is not None})
        made[key] = value
    return made


def tracking_uri(config: Config) -> str:
    """The MLflow store: $MLFLOW_TRACKING_URI, then the config, then the embedded sqlite file."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    if config.mlflow.tracking_uri:
        return config.mlflow.tracking_uri
    return f"sqlite:///{config.state_path / 'mlflow.db'}"
