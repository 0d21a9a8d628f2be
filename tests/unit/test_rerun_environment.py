"""What the registered command may see when the gate reruns it (issue 21)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from researchflow.adapters.process import (
    allowed_environment,
    changed_files,
    rerun_environment,
)


@pytest.mark.parametrize(
    "name",
    [
        "GITLAB_TOKEN",
        "CI_JOB_TOKEN",
        "CI_MERGE_REQUEST_IID",
        "GITLAB_USER_LOGIN",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_PASSWORD",
        "AWS_SECRET_ACCESS_KEY",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "LD_PRELOAD",
        "GIT_DIR",
        "MY_API_KEY",
    ],
)
def test_a_variable_off_the_allow_list_is_dropped(name: str) -> None:
    assert name not in allowed_environment({name: "x", "PATH": "/bin"})


@pytest.mark.parametrize(
    "name",
    ["PATH", "HOME", "LANG", "LC_ALL", "LC_NUMERIC", "TMPDIR", "MLFLOW_RUN_ID", "RFLOW_SEED"],
)
def test_a_variable_on_the_allow_list_is_kept(name: str) -> None:
    assert allowed_environment({name: "x"}) == {name: "x"}


def test_the_project_s_virtualenv_comes_first_and_the_gate_s_folder_goes(tmp_path: Path) -> None:
    gate = str(Path(sys.executable).parent)
    env = rerun_environment({"PATH": f"{gate}:/usr/bin"}, tmp_path / ".venv")
    assert env["PATH"] == f"{tmp_path / '.venv' / 'bin'}:/usr/bin"
    assert env["VIRTUAL_ENV"] == str(tmp_path / ".venv")
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"


def test_without_a_virtualenv_the_path_is_left_as_it_is() -> None:
    assert rerun_environment({"PATH": "/a:/b"}, None)["PATH"] == "/a:/b"


def test_a_changed_removed_or_added_file_is_named_but_new_bytecode_is_not() -> None:
    before = {"a.py": "1", "b.py": "2", "c.py": "3"}
    after = {"a.py": "1", "b.py": "9", "d.py": "4", "__pycache__/e.cpython-311.pyc": "5"}
    assert changed_files(before, after) == ["b.py", "c.py", "d.py"]
