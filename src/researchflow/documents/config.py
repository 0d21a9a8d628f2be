"""`researchflow.yaml` or `[tool.researchflow]` in `pyproject.toml` → a frozen Config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.frozen import Field, field, frozen
from researchflow.base.frozen import fields as fields_of
from researchflow.base.names import CONFIG_FILE
from researchflow.base.strictkeys import EXTENSION_PREFIX, suggestion

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


IDENTITY_MODES = ("author", "gitlab", "signature")


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
_NOT_FROM_FILE = {"root", "source"}


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
        try:
            return _build(data, root, CONFIG_FILE)
        except UserError as error:
            raise UserError(_with_line(str(error), lines)) from None
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


def _with_line(message: str, lines: dict[str, int]) -> str:
    """`researchflow.yaml: mlflow.x: …` → `researchflow.yaml:7: mlflow.x: …` (the field's
    line, else its section's)."""
    prefix = f"{CONFIG_FILE}: "
    if not message.startswith(prefix):
        return message
    field = message[len(prefix) :].split(":", 1)[0]
    name = field
    while name and name not in lines:
        name = name.rpartition(".")[0]
    return f"{CONFIG_FILE}:{lines.get(name, 1)}: {message[len(prefix) :]}"


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


def _build(data: dict[str, Any], root: Path, source: str) -> Config:
    values = _convert(Config, data, source, "")
    return Config(root=root, source=source, **values)


def _convert(cls: type, data: Any, source: str, prefix: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        where = prefix.rstrip(".") or "settings"
        raise UserError(f"{source}: {where}: must be a mapping of keys (see the README)")
    fields = {f.name: f for f in fields_of(cls) if f.name not in _NOT_FROM_FILE}
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if str(key).startswith(EXTENSION_PREFIX):
            continue  # a team's own setting
        if key not in fields:
            known = ", ".join(sorted(fields))
            fix = suggestion(str(key), fields)
            fix = fix if fix.startswith("did you mean") else f"known keys: {known}"
            raise UserError(f"{source}: {name}: unknown key ({fix})")
        if key in _NESTED and not prefix:
            # a section holding only comments (`mlflow:`) means its defaults
            section = {} if value is None else value
            values[key] = _NESTED[key](**_convert(_NESTED[key], section, source, f"{name}."))
            continue
        if key == "people" and not prefix:
            values[key] = _people(value, source)
            continue
        if key == "phases" and not prefix:
            values[key] = _phases(value, source)
            continue
        values[key] = _check_type(fields[key], value, source, name)
    if cls is IdentityConfig:
        _check_identity(values, source)
    return values


def _phases(value: Any, source: str) -> tuple[tuple[str, str], ...]:
    """`phases: {research: "a feasibility note", modelling: "...", ...}`, in order."""
    example = 'e.g. phases: {research: "a feasibility note", modelling: "an offline evaluation"}'
    if not isinstance(value, dict) or not value:
        raise UserError(f"{source}: phases: must map each phase to its deliverable ({example})")
    result = []
    for name, deliverable in value.items():
        if not isinstance(name, str) or not name.strip() or not isinstance(deliverable, str):
            raise UserError(
                f"{source}: phases.{name}: must name the phase's deliverable in words ({example})"
            )
        result.append((name.strip(), " ".join(deliverable.split())))
    return tuple(result)


def _people(value: Any, source: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`people: {dave: [dave@example.com]}` → ((name, e-mails), ...)."""
    example = "e.g. people: {dave: [dave@example.com]}"
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise UserError(f"{source}: people: must map names to lists of git e-mails ({example})")
    result = []
    for name, emails in value.items():
        if isinstance(emails, str):
            emails = [emails]
        if (
            not isinstance(name, str)
            or not isinstance(emails, list)
            or not all(isinstance(e, str) and "@" in e for e in emails)
        ):
            raise UserError(f"{source}: people.{name}: must be a list of git e-mails ({example})")
        result.append((name.strip(), tuple(e.strip() for e in emails)))
    return tuple(result)


def _check_identity(values: dict[str, Any], source: str) -> None:
    mode = values.get("mode", "author")
    if mode not in IDENTITY_MODES:
        raise UserError(
            f"{source}: identity.mode: {mode!r} is not allowed (use one of: "
            f"{', '.join(IDENTITY_MODES)})"
        )
    if mode == "signature" and not values.get("allowed_signers"):
        raise UserError(
            f"{source}: identity.allowed_signers: missing (mode signature needs the path of "
            "an allowed-signers file on the target branch, e.g. .gitlab/allowed_signers)"
        )


def _check_type(spec: Field, value: Any, source: str, name: str) -> Any:
    annotation = str(spec.type)
    optional = "None" in annotation
    if value is None:
        if optional:
            return None
        raise UserError(f"{source}: {name}: must not be empty (remove the key for the default)")
    if annotation.startswith("tuple"):
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise UserError(f"{source}: {name}: must be a list of names (e.g. [a, b])")
        return tuple(value)
    if annotation.startswith("int"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UserError(f"{source}: {name}: must be a whole number >= 1, not {value!r}")
        return value
    if annotation.startswith("bool"):
        if not isinstance(value, bool):
            raise UserError(f"{source}: {name}: must be true or false, not {value!r}")
        return value
    if not isinstance(value, str) or not value.strip():
        raise UserError(f"{source}: {name}: must be a non-empty string, not {value!r}")
    return value


def tracking_uri(config: Config) -> str:
    """The MLflow store: $MLFLOW_TRACKING_URI, then the config, then the embedded sqlite file."""
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    if config.mlflow.tracking_uri:
        return config.mlflow.tracking_uri
    return f"sqlite:///{config.state_path / 'mlflow.db'}"
