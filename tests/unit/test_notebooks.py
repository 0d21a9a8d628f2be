"""Notebook validity and execution order, as the pre-commit hook and the check see them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.notebooks import write_notebook

from researchflow.adapters.notebooks import validate


@pytest.mark.parametrize(
    "counts",
    [[1, 2, 3], [None, None, None], [1, None, 5], [3, 7, 9]],
    ids=["in-order", "never-run", "one-skipped", "gaps"],
)
def test_notebook_run_top_to_bottom_is_accepted(tmp_path: Path, counts) -> None:
    path = write_notebook(tmp_path / "a.ipynb", ["x = 1", "y = 2", "z = 3"], counts)
    assert validate(path, "a.ipynb") == []


@pytest.mark.parametrize(
    ("counts", "cell"),
    [([2, 1, 3], 1), ([1, 1, 2], 1), ([1, 5, None, 4], 3)],
    ids=["swapped", "repeated", "after-a-blank"],
)
def test_notebook_run_out_of_order_names_the_cell(tmp_path: Path, counts, cell) -> None:
    path = write_notebook(tmp_path / "a.ipynb", ["x"] * len(counts), counts)
    problems = validate(path, "research/H-001-a/a.ipynb")
    assert [p.field for p in problems] == [f"cells[{cell}].execution_count"]
    assert "top to bottom" in problems[0].fix
    assert str(problems[0]).startswith("research/H-001-a/a.ipynb:")


def test_order_is_not_checked_when_not_asked(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "a.ipynb", ["x", "y"], [2, 1])
    assert validate(path, "a.ipynb", order=False) == []


def test_broken_json_is_not_a_notebook(tmp_path: Path) -> None:
    path = tmp_path / "a.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    [problem] = validate(path, "a.ipynb")
    assert problem.field == "notebook"
    assert "not a notebook" in problem.message


def test_schema_violation_names_the_field(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "a.ipynb", ["x"], [1])
    data = json.loads(path.read_text(encoding="utf-8"))
    data["cells"][0]["cell_type"] = "banana"
    path.write_text(json.dumps(data), encoding="utf-8")
    [problem] = validate(path, "a.ipynb")
    assert problem.message.startswith("invalid nbformat")
    assert problem.field.startswith("cells")
