"""Set top-level front-matter fields by editing the text (pure).

Re-dumping the whole YAML would lose the user's comments, quoting and key order, and would
touch the body. Here only the lines of the fields being set are replaced: each by
`yaml.safe_dump` of its new value; a one-line field keeps its trailing comment; a field
that is absent is added at the end of the front matter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from researchflow.documents.document import FRONT_MATTER_END, DocumentError

_COMMENT_OR_BLANK = re.compile(r"^\s*(#.*)?$")
_TRAILING_COMMENT = re.compile(r"^\s+#.*$")


def set_fields(text: str, updates: Mapping[str, Any]) -> str:
    """The document text with each top-level field in `updates` set to its value."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise DocumentError(1, "front matter", "missing YAML front matter", "start with '---'")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in FRONT_MATTER_END), None)
    if end is None:
        raise DocumentError(1, "front matter", "front matter is not closed", "end it with '---'")
    block = lines[1:end]
    for key, value in updates.items():
        block = _set_one(block, key, value)
    return "\n".join([lines[0], *block, *lines[end:]])


def _set_one(block: list[str], key: str, value: Any) -> list[str]:
    spans = _top_level_spans(block)
    new = _dump(key, value)
    if key not in spans:
        return [*block, *new]
    start, stop, value_end = spans[key]
    if stop - start == 1 and len(new) == 1:
        rest = block[start][value_end:]
        if _TRAILING_COMMENT.match(rest):
            new = [new[0] + rest]
    elif stop - start == 1:  # one line becomes a block: the comment moves to the key line
        rest = block[start][value_end:]
        if _TRAILING_COMMENT.match(rest):
            new = [new[0] + rest, *new[1:]]
    return [*block[:start], *new, *block[stop:]]


def _top_level_spans(block: list[str]) -> dict[str, tuple[int, int, int]]:
    """key → (first line, line after its value, column where a one-line value ends)."""
    node = yaml.compose("\n".join(block), Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        return {}
    starts = [(key.start_mark.line, key.value, value) for key, value in node.value]
    spans: dict[str, tuple[int, int, int]] = {}
    for position, (line, key, value) in enumerate(starts):
        stop = starts[position + 1][0] if position + 1 < len(starts) else len(block)
        # blank and comment lines before the next key belong to that key, not this one
        while stop - 1 > line and _COMMENT_OR_BLANK.match(block[stop - 1]):
            stop -= 1
        value_end = value.end_mark.column if value.end_mark.line == line else len(block[line])
        spans[str(key)] = (line, stop, value_end)
    return spans


def _dump(key: str, value: Any) -> list[str]:
    text = yaml.safe_dump(
        {key: value}, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000
    )
    return text.rstrip("\n").split("\n")
