"""Plain aligned text tables for terminal output (pure; no rich, so start-up stays light)."""

from __future__ import annotations

from collections.abc import Sequence

from researchflow.base.safetext import terminal


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()
) -> str:
    """Columns padded to their widest cell; `right` lists the columns aligned right.

    The last column is never padded, so a long title does not push trailing spaces. Cells
    come from files: control characters, newlines and bidi overrides are shown escaped.
    """
    rows = [[terminal(cell) for cell in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    last = len(headers) - 1

    def line(cells: Sequence[str]) -> str:
        out: list[str] = []
        for index, cell in enumerate(cells):
            if index == last:
                out.append(cell.rjust(widths[index]) if index in right else cell)
            elif index in right:
                out.append(cell.rjust(widths[index]))
            else:
                out.append(cell.ljust(widths[index]))
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])
