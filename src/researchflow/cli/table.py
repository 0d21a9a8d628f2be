"""Commands from a table: a row binds a command's name, its options and the function it
calls; `build` turns the rows into click commands with one shared body.

The body loads researchflow.yaml, calls the function (imported only when the command runs,
so `rflow --help` loads no command module), prints its result as text or JSON
(`output.emit`) and returns the exit code. What a command needs beyond that (splitting
`[ID] RUN...`, a default that needs the configuration) is a `prepare` step or its own
`call` in the row, never a copy of the body.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from researchflow.base.frozen import field, frozen

if TYPE_CHECKING:
    from researchflow.documents.config import Config

JSON_HELP = "Print machine-readable JSON instead of text."
FILE = click.Path(dir_okay=False, path_type=Path)  # a file to write or read, never a folder

Values = dict[str, Any]
# a command that prints for itself: (config loader, parsed values, as_json) -> exit code
OwnCall = Callable[[Callable[[], "Config"], Values, bool], int]


def arg(*decls: str, **attrs: Any) -> click.Argument:
    return click.Argument(list(decls), **attrs)


def opt(*decls: str, **attrs: Any) -> click.Option:
    return click.Option(list(decls), **attrs)


# the one sentence a lifecycle change or a retired run is recorded with
def reason(help: str) -> click.Option:
    return opt("--reason", required=True, help=help)


# the optional hypothesis ID most commands take first
def hypothesis_arg() -> click.Argument:
    return arg("hypothesis_id", metavar="[ID]", required=False)


@frozen
class Row:
    """One command: `call` is "module:function" under researchflow.commands, called as
    function(config, **values), or an `OwnCall` that prints for itself."""

    name: str
    call: str | OwnCall
    help: str
    params: Sequence[click.Parameter] = ()
    prepare: Callable[[Values], Values] | None = None  # values → the function's keywords
    config: bool = True  # pass the loaded configuration first
    exit_code: bool = False  # the result's exit_code is the command's (else 0)
    hidden: bool = False
    json_help: str = JSON_HELP
    cls: type[click.Command] = click.Command
    context_settings: Mapping[str, Any] = field(default_factory=dict)


@frozen
class Group:
    name: str
    help: str
    rows: Sequence[Row]


def command_function(call: str) -> Callable[..., Any]:
    module, _, name = call.partition(":")
    function: Callable[..., Any] = getattr(
        importlib.import_module(f"researchflow.commands.{module}"), name
    )
    return function


def make_command(row: Row, load_config: Callable[[], Config]) -> click.Command:
    def body(**values: Any) -> int:
        as_json = bool(values.pop("as_json"))
        if not isinstance(row.call, str):
            return row.call(load_config, values, as_json)
        from researchflow.base.output import emit

        if row.prepare is not None:
            values = row.prepare(values)
        function = command_function(row.call)
        result = function(load_config(), **values) if row.config else function(**values)
        emit(result, as_json=as_json)
        return int(result.exit_code) if row.exit_code else 0

    json_option = opt("--json", "as_json", is_flag=True, help=row.json_help)
    return row.cls(
        name=row.name,
        callback=body,
        params=[*row.params, json_option],
        help=row.help,
        hidden=row.hidden,
        context_settings=dict(row.context_settings),
    )


def build(
    group: click.Group, entries: Sequence[Row | Group], load_config: Callable[[], Config]
) -> None:
    for entry in entries:
        if isinstance(entry, Group):
            sub = click.Group(name=entry.name, help=entry.help)
            build(sub, entry.rows, load_config)
            group.add_command(sub)
        else:
            group.add_command(make_command(entry, load_config))


def listed(*names: str) -> Callable[[Values], Values]:
    """A `prepare` step: the named variadic arguments (click tuples) as lists."""

    def prepare(values: Values) -> Values:
        return {k: list(v) if k in names else v for k, v in values.items()}

    return prepare
