"""Config: researchflow.yaml or [tool.researchflow], defaults, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from researchflow.base.errors import UserError
from researchflow.documents.config import Config, load_config, tracking_uri
from researchflow.documents.config_schema import SETTINGS
from researchflow.documents.kinds import Fields


def test_defaults_without_any_config(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    config = load_config(tmp_path)
    assert config.source is None
    assert config.research_dir == "research"
    assert config.branch_prefix == "hyp/"
    assert config.sections.required[0] == "Context"


def test_yaml_config_overrides_defaults(tmp_path: Path) -> None:
    (tmp_path / "researchflow.yaml").write_text(
        "research_dir: studies\nmlflow:\n  experiment: churn\nquarto:\n  required: true\n"
        "sections:\n  required: [Context, Risks]\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.source == "researchflow.yaml"
    assert config.research_dir == "studies"
    assert config.mlflow.experiment == "churn"
    assert config.quarto.required is True
    assert config.sections.required == ("Context", "Risks")


def test_pyproject_table_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.researchflow]\nbranch_prefix = "research/"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.branch_prefix == "research/"
    assert config.source == "pyproject.toml [tool.researchflow]"


def test_config_is_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "researchflow.yaml").write_text("research_dir: studies\n", encoding="utf-8")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert load_config(sub).root == tmp_path.resolve()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "reserch_dir: x\n",
            "researchflow.yaml:1: reserch_dir: unknown key (did you mean 'research_dir'?)",
        ),
        ("colour: x\n", "researchflow.yaml:1: colour: unknown key (known keys:"),
        ("wip_limit: 0\n", "researchflow.yaml:1: wip_limit: must be a whole number >= 1"),
        ("mlflow:\n  uri: x\n", "researchflow.yaml:2: mlflow.uri: unknown key"),
        ("research_dir: 3\n", "researchflow.yaml:1: research_dir: must be a non-empty string"),
        (
            "quarto:\n  required: maybe\n",
            "researchflow.yaml:2: quarto.required: must be true or false",
        ),
        ("mlflow: yes\n", "researchflow.yaml:1: mlflow: must be a mapping"),
        (
            "sections:\n  required: Context\n",
            "researchflow.yaml:2: sections.required: must be a list",
        ),
        ("a: 1\na: 2\n", "researchflow.yaml:2: duplicate key"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "researchflow.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_broken_pyproject_is_reported(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.researchflow\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"pyproject\.toml: invalid TOML"):
        load_config(tmp_path)


def test_tracking_uri_prefers_environment_then_config_then_embedded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = Config(root=tmp_path)
    assert tracking_uri(config) == f"sqlite:///{tmp_path / '.rflow' / 'mlflow.db'}"
    (tmp_path / "researchflow.yaml").write_text(
        "mlflow:\n  tracking_uri: http://team:5000\n", encoding="utf-8"
    )
    assert tracking_uri(load_config(tmp_path)) == "http://team:5000"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://env:5000")
    assert tracking_uri(load_config(tmp_path)) == "http://env:5000"


def test_config_team_keys_with_x_prefix_are_ignored_and_limits_read(tmp_path: Path) -> None:
    (tmp_path / "researchflow.yaml").write_text(
        "x-team: ranking\nwip_limit: 2\ntimebox_max_days: 10\nreview_max_days: 3\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert (config.wip_limit, config.timebox_max_days, config.review_max_days) == (2, 10, 3)


def test_config_limits_default_to_the_process(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert (config.wip_limit, config.timebox_max_days, config.review_max_days) == (1, 5, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (  # the first problem in the file is the one shown, whatever the declarations' order
            "wip_limit: 0\nreserch_dir: x\n",
            "researchflow.yaml:1: wip_limit: must be a whole number >= 1, not 0",
        ),
        (
            "identity:\n  mode: signature\n",
            "researchflow.yaml:1: identity.allowed_signers: missing (mode signature needs the "
            "path of an allowed-signers file on the target branch, e.g. .gitlab/allowed_signers)",
        ),
        (
            "identity: {mode: sig, allowed_signers: 5}\n",
            "researchflow.yaml:1: identity.allowed_signers: must be a non-empty string, not 5",
        ),
        (
            "x-team: 1\nbase_branch:\nbranch_prefix:\n",
            "researchflow.yaml:3: branch_prefix: must not be empty (remove the key for the "
            "default)",
        ),
        (  # a key holding a colon is shown at its own line
            "research_dir: x\n'http://team': 1\n",
            "researchflow.yaml:2: http://team: unknown key (known keys:",
        ),
        (
            "people:\n  dave: [dave]\n",
            "researchflow.yaml:2: people.dave: must be a list of git e-mails",
        ),
        ("phases: {}\n", "researchflow.yaml:1: phases: must map each phase to its deliverable"),
    ],
)
def test_the_first_problem_in_the_file_is_the_line_shown(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "researchflow.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load_config(tmp_path)
    assert str(caught.value).startswith(message), str(caught.value)


def test_pyproject_problems_name_the_table_without_a_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.researchflow]\nwip_limit = 0\n[tool.researchflow.mlflow]\nuri = 'x'\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError) as caught:
        load_config(tmp_path)
    assert str(caught.value) == (
        "pyproject.toml [tool.researchflow]: wip_limit: must be a whole number >= 1, not 0"
    )


def test_every_setting_of_the_records_is_declared_and_nothing_else() -> None:
    config = Config()
    sections = {k: v for k, v in vars(config).items() if k != "root" and hasattr(v, "__dict__")}
    assert set(SETTINGS.by_key) == set(vars(config)) - {"root", "source"}
    for key, record in sections.items():
        kind = SETTINGS.by_key[key].kind
        assert isinstance(kind, Fields)
        assert set(kind.by_key) == set(vars(record)), key


def test_people_phases_and_sections_are_read(tmp_path: Path) -> None:
    (tmp_path / "researchflow.yaml").write_text(
        "people:\n  dave: dave@example.com\n  ' erin ': [e@x, ' f@x ']\n"
        "phases: {research: '  a   note ', modelling: an evaluation}\n"
        "sections:\n  x-ours: 1\n  report: [Summary]\nidentity:\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.people == (("dave", ("dave@example.com",)), ("erin", ("e@x", "f@x")))
    assert config.phases == (("research", "a note"), ("modelling", "an evaluation"))
    assert config.sections.report == ("Summary",) and config.sections.design == "Experiment design"
    assert config.identity.mode == "author"
