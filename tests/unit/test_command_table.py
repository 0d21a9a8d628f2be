"""Every command is a row of the table: its function exists and takes what the row passes."""

from __future__ import annotations

import inspect

import click
import pytest

from researchflow.cli import evidence, plans, portfolio
from researchflow.cli.group import cli
from researchflow.cli.table import Group, Row, command_function


def rows() -> list[tuple[str, Row]]:
    found: list[tuple[str, Row]] = []
    for entry in [*plans.ROWS, *evidence.ROWS, *portfolio.ROWS]:
        if isinstance(entry, Group):
            found += [(f"{entry.name} {row.name}", row) for row in entry.rows]
        else:
            found.append((entry.name, entry))
    return found


def test_every_command_of_rflow_comes_from_a_row() -> None:
    def names(group: click.Group, prefix: str = "") -> set[str]:
        found: set[str] = set()
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                found |= names(command, f"{prefix}{name} ")
            else:
                found.add(prefix + name)
        return found

    assert names(cli) == {name for name, _ in rows()}


@pytest.mark.parametrize(("name", "row"), rows(), ids=[name for name, _ in rows()])
def test_a_row_names_a_function_that_takes_its_options(name: str, row: Row) -> None:
    if not isinstance(row.call, str):
        return  # a command that prints for itself calls its functions directly
    function = command_function(row.call)
    accepted = set(inspect.signature(function).parameters)
    given = {p.name for p in row.params if p.name}
    if row.prepare is None:  # the options reach the function under their own names
        assert given <= accepted, f"{name}: {sorted(given - accepted)} not taken by {row.call}"
    if row.config:
        assert next(iter(inspect.signature(function).parameters)) == "config"
