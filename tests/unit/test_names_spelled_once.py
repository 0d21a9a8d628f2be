"""Every name rflow gives or reads is spelled once, in base/names.py: the MLflow tags, the
files it keeps in a repository and the CI variables. A second spelling elsewhere in the
source is a second place to forget when a name changes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from researchflow.base import names

PACKAGE = Path(names.__file__).resolve().parents[1]
SPELLED = {
    value: key
    for key, value in vars(names).items()
    if key.isupper() and isinstance(value, str) and ("." in value or value.startswith("CI_"))
}


def literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_the_names_module_spells_the_tags_files_and_ci_variables() -> None:
    assert names.HYPOTHESIS == "rflow.hypothesis"
    assert names.COMMIT == "mlflow.source.git.commit"
    assert names.RUNS_FILE == "runs.yaml"
    assert names.CI_MERGE_REQUEST_IID == "CI_MERGE_REQUEST_IID"


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(PACKAGE.rglob("*.py")) if p.name != "names.py"],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_no_other_module_spells_them_again(path: Path) -> None:
    again = [
        f"{path.name}:{line}: {value!r} (use names.{SPELLED[value]})"
        for line, value in literals(path)
        if value in SPELLED
    ]
    assert again == []
