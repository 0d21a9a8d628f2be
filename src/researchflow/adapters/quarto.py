"""Quarto: the `quarto render` argument list (pure) and the runner around it."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from researchflow.adapters.process import CommandFailed, run
from researchflow.base.errors import CheckFailed, UserError

QUARTO = "quarto"
NOT_INSTALLED = (
    "Quarto is not installed (install it from quarto.org/docs/get-started, "
    "then check with `quarto --version`)"
)


def render_argv(
    document: Path, *, to: str, execute_dir: Path, output_dir: Path, quarto: str = QUARTO
) -> list[str]:
    """`quarto render DOC --to FORMAT --execute-dir DIR --output-dir DIR`.

    Folders are made absolute: quarto reads --output-dir relative to the input file.
    """
    return [
        quarto,
        "render",
        str(document),
        "--to",
        to,
        "--execute-dir",
        str(execute_dir.resolve()),
        "--output-dir",
        str(output_dir.resolve()),
    ]


def find_quarto() -> str | None:
    """The quarto executable on PATH, or None."""
    return shutil.which(QUARTO)


def is_installed() -> bool:
    return find_quarto() is not None


def render(argv: Sequence[str], *, cwd: Path) -> str:
    """Run a render; its output on success. Missing Quarto → UserError, a failure → CheckFailed."""
    executable = find_quarto() if argv and argv[0] == QUARTO else argv[0]
    if executable is None:
        raise UserError(NOT_INSTALLED)
    try:
        done = run([executable, *argv[1:]], cwd=cwd)
    except FileNotFoundError:
        raise UserError(NOT_INSTALLED) from None
    except CommandFailed as error:
        raise CheckFailed(f"quarto render failed for {argv[2]}: {error}") from None
    return done.stdout + done.stderr
