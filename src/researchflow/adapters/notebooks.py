"""Jupyter notebooks: nbformat validity, execution order, and execution with nbclient.

nbformat and nbclient are imported inside the functions: `rflow --help` must not pay for
them, and only `rflow check --execute-notebooks` starts a kernel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from researchflow.base.problems import Problem

KERNEL = "python3"  # ipykernel's kernel: the Python rflow runs in


def read_notebook(path: Path, shown: str) -> tuple[Any | None, list[Problem]]:
    """The notebook node, or None and the problems that make it unreadable or invalid."""
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(shown, 1, "file", f"cannot be read: {error}", "save it as UTF-8")]
    try:
        notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    except Exception as error:  # nbformat raises bare JSON and reader errors
        line = getattr(error, "lineno", 1)
        return None, [
            Problem(shown, line, "notebook", f"not a notebook: {error}", "save it from Jupyter")
        ]
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        where = ".".join(str(part) for part in error.absolute_path) or "notebook"
        message = str(error.message).splitlines()[0]
        fix = "open and save it in Jupyter, or run `jupyter nbconvert --to notebook --inplace`"
        return None, [Problem(shown, 1, where, f"invalid nbformat: {message}", fix)]
    return notebook, []


def execution_order_problems(notebook: Any, shown: str) -> list[Problem]:
    """Executed code cells must have strictly increasing execution counts (top to bottom)."""
    problems: list[Problem] = []
    last: int | None = None
    for index, cell in enumerate(notebook.get("cells", [])):
        count = cell.get("execution_count") if cell.get("cell_type") == "code" else None
        if count is None:
            continue
        if last is not None and count <= last:
            problems.append(
                Problem(
                    shown,
                    1,
                    f"cells[{index}].execution_count",
                    f"cell ran as [{count}] after a cell above it ran as [{last}]",
                    "restart the kernel and run all cells top to bottom, then save",
                )
            )
        last = count
    return problems


def validate(path: Path, shown: str, *, order: bool = True) -> list[Problem]:
    """Validity (and, for the pre-commit hook, execution order) of one notebook."""
    notebook, problems = read_notebook(path, shown)
    if notebook is not None and order:
        problems.extend(execution_order_problems(notebook, shown))
    return problems


def execute(path: Path, shown: str, *, cwd: Path, timeout: int = 600) -> list[Problem]:
    """Run the notebook top to bottom in a fresh kernel; the first error is the problem.

    The notebook file is not rewritten: outputs of a check run are thrown away.
    """
    notebook, problems = read_notebook(path, shown)
    if notebook is None:
        return problems
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(cwd)}},
    )
    try:
        client.execute()
    except CellExecutionError as error:
        index = _failing_cell(notebook)
        field = f"cells[{index}]" if index is not None else "cells"
        summary = f"{error.ename}: {error.evalue}" if error.ename else str(error).splitlines()[0]
        return [Problem(shown, 1, field, f"raised {summary}", "fix the cell and run it again")]
    except CellTimeoutError:
        index = _failing_cell(notebook)
        return [
            Problem(
                shown,
                1,
                f"cells[{index}]" if index is not None else "cells",
                f"did not finish within {timeout} s",
                "make the cell faster",
            )
        ]
    except DeadKernelError as error:
        return [Problem(shown, 1, "kernel", f"the kernel died: {error}", "check memory use")]
    return []


def _failing_cell(notebook: Any) -> int | None:
    """The index of the code cell whose outputs hold the error nbclient stopped at."""
    for index, cell in enumerate(notebook.get("cells", [])):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if output.get("output_type") == "error":
                return index
    return None
