"""`rflow run H-007 --allow-dirty -- cmd`: rflow's own options may follow the ID.

The command's arguments are not parsed as options (its own `--json` is its own), so click
stops at the first argument; here the options written between the ID and `--` are moved
in front of it first. Before `--` an unknown option is a usage error; with no `--`,
options right after the ID are rflow's and the command starts at the first word that is
not one. Also remembers whether `--` came before the command: click drops a leading one.
"""

from __future__ import annotations

import click


class RunCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = self._reorder(ctx, list(args))
        ctx.meta["rflow.raw_args"] = list(args)  # whether `--` came before the command
        return super().parse_args(ctx, args)

    def _options(self, ctx: click.Context) -> dict[str, click.Option]:
        return {
            name: param
            for param in self.get_params(ctx)
            if isinstance(param, click.Option)
            for name in (*param.opts, *param.secondary_opts)
        }

    def _reorder(self, ctx: click.Context, args: list[str]) -> list[str]:
        options = self._options(ctx)

        def width(item: str) -> int:  # the words an option takes with its value
            option = options.get(item.split("=", 1)[0])
            return 2 if option is not None and not option.is_flag and "=" not in item else 1

        dash = args.index("--") if "--" in args else None
        head = args if dash is None else args[:dash]
        position, scan = None, 0  # the first word that is neither an option nor a value
        while scan < len(head):
            if not head[scan].startswith("-"):
                position = scan
                break
            scan += width(head[scan])
        if position is None:
            return args
        moved: list[str] = []
        index = position + 1
        while index < len(head):
            item = head[index]
            if item.split("=", 1)[0] in options:
                moved += head[index : index + width(item)]
                index += width(item)
                continue
            if dash is not None and item.startswith("-"):
                raise click.UsageError(f"No such option: {item}", ctx=ctx)
            break
        if not moved:
            return args
        rest = head[position + 1 + len(moved) :]
        tail = [] if dash is None else args[dash:]
        return [*head[:position], *moved, head[position], *rest, *tail]


def separated(args: tuple[str, ...]) -> bool:
    """True when the parsed ARGS are exactly what followed the first `--` the user typed."""
    raw: list[str] = click.get_current_context().meta.get("rflow.raw_args", [])
    if "--" not in raw:
        return False
    return list(args) == raw[raw.index("--") + 1 :]
