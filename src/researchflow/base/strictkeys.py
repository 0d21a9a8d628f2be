"""Unknown front-matter keys: an error with a "did you mean", unless `x-` marks a team field (pure).

Shared by the plan, the report, the problem statement and the config, so a typo such as
`timebox_day:` or `decison:` is caught the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from researchflow.base import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

EXTENSION_PREFIX = "x-"


def suggestion(key: str, known: Iterable[str], otherwise: str | None = None) -> str:
    """The fix for an unknown key: the near miss, else `otherwise`, else the `x-` escape."""
    import difflib  # only for a near miss: kept off the import path of validate

    near = difflib.get_close_matches(key, list(known), n=1, cutoff=0.75)
    if near:
        return f"did you mean '{near[0]}'?"
    if otherwise is not None:
        return otherwise
    return f"remove it, or name a team field '{EXTENSION_PREFIX}{key}'"


def unknown_keys(
    data: Mapping[Any, Any], own: Iterable[str], also: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """(key, fix) for each key that is neither `own`, nor `also` (e.g. Quarto's), nor `x-…`.

    Suggestions come from `own` only: a near miss of a Quarto option is rarely meant.
    """
    own = tuple(own)
    known = set(own) | set(also)
    found: list[tuple[str, str]] = []
    for key in data:
        name = str(key)
        if name in known or name.startswith(EXTENSION_PREFIX):
            continue
        found.append((name, suggestion(name, own)))
    return found
