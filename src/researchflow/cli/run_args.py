"""`rflow run [ID] [OPTIONS] -- CMD…`: rflow's options anywhere before `--`, the command after.

Click does the work in its own terms: its interspersed arguments let rflow's options stand
before or after the ID, and `--` ends them, so the command's own `--json` stays its own.
Unknown options are kept as words (`ignore_unknown_options`) so that a command typed
without `--` is told to add it, rather than "No such option" for the command's first flag.
Click drops the `--` itself; the parser remembers how many words followed it.
"""

from __future__ import annotations

import click

RUN_CONTEXT = {"ignore_unknown_options": True}  # click's default: interspersed arguments
_AFTER_SEPARATOR = "rflow.words_after_separator"


class RunCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_AFTER_SEPARATOR] = len(args) - args.index("--") - 1 if "--" in args else None
        return super().parse_args(ctx, args)


def command_line(args: tuple[str, ...]) -> tuple[list[str], bool]:
    """The parsed ARGS as `commands.run` takes them: (`[ID…] [-- CMD…]`, whether `--` led).

    An unknown option before `--` is a usage error, as click would give it.
    """
    ctx = click.get_current_context()
    after: int | None = ctx.meta.get(_AFTER_SEPARATOR)
    if after is None:
        return list(args), False
    before, command = list(args[: len(args) - after]), list(args[len(args) - after :])
    unknown = [word for word in before if word.startswith("-") and word != "-"]
    if unknown:
        import difflib

        known = [name for param in ctx.command.params for name in getattr(param, "opts", ())]
        close = difflib.get_close_matches(unknown[0], known)
        raise click.NoSuchOption(unknown[0], possibilities=close, ctx=ctx)
    return [*before, "--", *command], not before
