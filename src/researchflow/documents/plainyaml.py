"""Everyday front matter read without PyYAML (pure): `rflow status` reads hundreds of plans.

A plan's front matter is nearly always the template's shape: `key: value` lines, nested
block mappings and sequences, one-line flow collections (`{a: 1, b: [x]}`), quoted and plain
scalars, comments. This reads exactly that shape, several times faster than PyYAML's event
stream, and says None for anything else (anchors, tags, block scalars, escapes, multi-line
values, unusual keys or numbers, tabs, any doubt at all): the caller then loads the text
with PyYAML, which also reports every error. Where it answers, the values, their types and
each field's line are what PyYAML's safe loader gives (tests/test_plainyaml.py compares
them on generated documents).
"""

from __future__ import annotations

import datetime as dt
import re

from researchflow.base import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    Mapping = tuple[dict[str, Any], dict[str, int]]

MAX_DEPTH = 64  # as base/safeyaml.py: deeper text goes to PyYAML, which reports it

# `key:` then a space or the line's end; other keys (quoted, dotted, numbers) go to PyYAML
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +|$)")
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\.[0-9]+")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")

# YAML 1.1 words PyYAML's resolver turns into booleans and null
_WORDS: dict[str, Any] = {
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("~", "null", "Null", "NULL"), None),
}
# the first characters PyYAML's implicit resolvers look at: a plain scalar starting with
# anything else is a string
RESOLVED_FIRST = frozenset("yYnNtTfFoO~-+.0123456789<=!&*")
_NUMERIC_FIRST = frozenset("-+.0123456789")
# a plain scalar cannot start with an indicator (PyYAML reads these as syntax or refuses)
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


# what a flow collection's next token may be
_VALUE, _SEPARATOR, _KEY_NEXT, _OPENED_MAP, _OPENED_LIST, _DONE = range(6)
_MAY_CLOSE = (_SEPARATOR, _OPENED_MAP, _OPENED_LIST)
_FLOW_TOKEN = re.compile(  # (the whole token, a key's name, a plain scalar)
    r"""(\ *(?:
      [\[{\]},]
    | ([A-Za-z_][A-Za-z0-9_-]*):\ +
    | "[^"\\]*"
    | '(?:[^']|'')*'
    | ((?:[^\ ,\[\]{}:\#'"?&*!|>%@`-]|-[0-9])[^,\[\]{}:\#'"?]*?)\ *(?=[,\]}])
    | \#.*
    ))""",
    re.VERBOSE,
)


# the usual one-line collections: flat mappings (whose values may be flat sequences) and
# flat sequences of scalars, one entry and the separator after it at a time
_KEY_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_PLAIN = r"(?:[^ ,\[\]{}:#'\"?&*!|>%@`-]|-[0-9])[^,\[\]{}:#'\"?]*?"
_SCALAR = rf"(?:\"[^\"\\]*\"|'(?:[^']|'')*'|{_PLAIN})"
_SEQUENCE = rf"\[ *(?:{_SCALAR} *, *)*{_SCALAR} *\]|\[ *\]"
_FLAT_PAIR = re.compile(rf" *({_KEY_NAME}): +({_SCALAR}|{_SEQUENCE}) *[,}}]")
_FLAT_ITEM = re.compile(rf" *({_SCALAR}) *[,\]]")
_EMPTY = re.compile(r" *([}\]])")
_CLOSING = {"{": "}", "[": "]"}


class _Unsure(Exception):
    """Not the everyday shape: PyYAML decides."""


def read_plain(yaml_text: str, first_line: int = 1) -> Mapping | None:
    """The mapping and each field's line (`roles.author`, `predictions[0].metric`), as
    PyYAML's safe loader reads them, or None when the text is not the everyday shape."""
    try:
        reader = _Reader(yaml_text, first_line)
        return reader.document()
    except (_Unsure, ValueError, OverflowError, RecursionError):
        return None


class _Reader:
    def __init__(self, yaml_text: str, first_line: int) -> None:
        # (line number, indent, text) of each line that is neither blank nor a comment
        rows: list[tuple[int, int, str]] = []
        number = first_line
        for line in yaml_text.split("\n"):
            if not line.isprintable():  # tabs, controls, odd spaces: PyYAML's rules apply
                raise _Unsure
            text = line.lstrip(" ")
            if text and text[0] != "#":
                rows.append((number, len(line) - len(text), text.rstrip(" ")))
            number += 1
        self.rows = rows
        self.position = 0
        self.lines: dict[str, int] = {}

    def document(self) -> Mapping:
        rows = self.rows
        if not rows or rows[0][1] != 0:
            raise _Unsure  # empty, or indented at the top: PyYAML says what it is
        root: dict[str, Any] = {}
        self.mapping(root, 0, "", 1)
        if self.position != len(rows):
            raise _Unsure
        return root, self.lines

    def mapping(self, container: dict[str, Any], indent: int, prefix: str, depth: int) -> None:
        """`key: value` rows at exactly `indent`; a shallower row ends the mapping."""
        if depth >= MAX_DEPTH:
            raise _Unsure
        rows = self.rows
        while self.position < len(rows):
            number, column, text = rows[self.position]
            if column < indent:
                return
            if column > indent:
                raise _Unsure  # a continuation line or a misindented key
            match = _KEY.match(text)
            if match is None:
                raise _Unsure
            key = match.group(1)
            if key in _WORDS or key in container:
                raise _Unsure  # `yes:` is a boolean key; a duplicate is PyYAML's to report
            path = f"{prefix}.{key}" if prefix else key
            self.lines[path] = number
            self.position += 1
            rest = text[match.end() :]
            if rest and rest[0] != "#":
                container[key] = self.inline(rest, number, path, depth)
            else:
                container[key] = self.nested(indent, path, depth)

    def nested(self, indent: int, path: str, depth: int) -> Any:
        """The value of `key:` with nothing after it: what the next rows hold, or null."""
        rows = self.rows
        if self.position == len(rows):
            return None
        _, column, text = rows[self.position]
        is_item = text == "-" or text.startswith("- ")
        if column > indent:
            if is_item:
                return self.sequence(column, path, depth + 1)
            value: dict[str, Any] = {}
            self.mapping(value, column, path, depth + 1)
            return value
        if column == indent and is_item:  # a sequence may sit at its key's indent
            return self.sequence(column, path, depth + 1)
        return None

    def sequence(self, indent: int, prefix: str, depth: int) -> list[Any]:
        """`- item` rows at exactly `indent`."""
        if depth >= MAX_DEPTH:
            raise _Unsure
        rows = self.rows
        items: list[Any] = []
        while self.position < len(rows):
            number, column, text = rows[self.position]
            if column < indent or (column == indent and not text.startswith("- ")):
                if text == "-" and column == indent:
                    raise _Unsure  # an item on the following lines
                return items
            if column > indent:
                raise _Unsure
            rest = text[2:].lstrip(" ")
            path = f"{prefix}[{len(items)}]"
            self.lines[path] = number
            if _KEY.match(rest):  # `- key: value`: a mapping whose keys line up after the dash
                value: dict[str, Any] = {}
                self.rows[self.position] = (number, column + len(text) - len(rest), rest)
                self.mapping(value, column + len(text) - len(rest), path, depth + 1)
                items.append(value)
            elif rest[0] == "#" or rest == "-" or rest.startswith("- "):
                raise _Unsure  # a comment, or a sequence in a sequence
            else:
                self.position += 1
                items.append(self.inline(rest, number, path, depth))
        return items

    def inline(self, text: str, number: int, path: str, depth: int) -> Any:
        """A value written on its key's (or dash's) line, maybe followed by a comment."""
        first = text[0]
        if first == "{" or first == "[":
            flat = _flat(text, number, path, self.lines)
            if flat is not None:
                return flat
            return _flow(text, number, path, self.lines, depth + 1)
        if first == '"' or first == "'":
            value, end = _quoted(text, 0)
            _only_comment(text, end)
            return value
        if first in _INDICATORS and not _signed(text):
            raise _Unsure
        cut = text.find(" #")
        if cut >= 0:
            text = text[:cut].rstrip(" ")
        if ": " in text or text.endswith(":"):
            raise _Unsure  # PyYAML refuses a second mapping value on one line
        return resolve(text)


def _only_comment(text: str, end: int) -> None:
    rest = text[end:]
    if rest and not rest.lstrip(" ").startswith("#"):
        raise _Unsure
    if rest and rest[0] != " ":
        raise _Unsure  # a comment needs a space before its `#`


def _flat(text: str, number: int, path: str, lines: dict[str, int]) -> Any:
    """The usual one-line collections, `{k: v, k: [a, b]}` and `[a, b]`, read entry by entry
    with one regex each; None for anything else (`_flow` reads it)."""
    found = _flat_collection(text, 0, _FLAT_PAIR if text[0] == "{" else _FLAT_ITEM)
    if found is None:
        return None
    entries, end = found
    rest = text[end:]
    if rest and (rest.lstrip(" ")[:1] != "#" or rest[0] != " "):
        return None  # more than a comment after it
    if text[0] == "[":
        return _flat_sequence(entries, number, path, lines)
    mapping: dict[str, Any] = {}
    for key, value in entries:
        if key in _WORDS or key in mapping:
            raise _Unsure
        child = f"{path}.{key}"
        lines[child] = number
        if value[0] == "[":
            items = _flat_collection(value, 0, _FLAT_ITEM)
            if items is None or items[1] != len(value):
                return None
            mapping[key] = _flat_sequence(items[0], number, child, lines)
        else:
            mapping[key] = _flat_scalar(value)
    return mapping


def _flat_collection(text: str, start: int, entry: re.Pattern[str]) -> tuple[list[Any], int] | None:
    """The entries of the collection opening at `start` (pairs or items, each matched with
    the separator after it) and the index after it; None when it is not that flat."""
    position = start + 1
    closing = _EMPTY.match(text, position)
    if closing is not None:  # `{}`, `[ ]`
        return ([], closing.end()) if closing.group(1) == _CLOSING[text[start]] else None
    entries: list[Any] = []
    while True:
        match = entry.match(text, position)
        if match is None:
            return None
        entries.append(match.group(1) if entry is _FLAT_ITEM else match.group(1, 2))
        position = match.end()
        if text[position - 1] != ",":
            return entries, position


def _flat_sequence(items: list[str], number: int, path: str, lines: dict[str, int]) -> list[Any]:
    for index in range(len(items)):
        lines[f"{path}[{index}]"] = number
    return [_flat_scalar(item) for item in items]


def _flat_scalar(text: str) -> Any:
    first = text[0]
    if first == '"':
        return text[1:-1]
    if first == "'":
        return text[1:-1].replace("''", "'")
    return resolve(text)


def _flow(text: str, number: int, path: str, lines: dict[str, int], depth: int) -> Any:
    """A one-line `{...}` or `[...]` that is the whole of `text` (but for a comment)."""
    stack: list[Any] = []  # the open collections, innermost last
    paths: list[str] = []
    root: Any = None
    key = ""  # the pending key of the innermost mapping
    expect = _VALUE  # what may come next
    covered = 0  # characters the tokens matched: less than the text's length means a gap
    for whole, word, plain in _FLOW_TOKEN.findall(text):
        covered += len(whole)
        first = whole.lstrip(" ")[0]
        if first == "#":
            if stack or whole[0] != " ":
                raise _Unsure  # a `#` inside, or not after a space
            break
        if first in "]}":
            if expect not in _MAY_CLOSE or not stack:
                raise _Unsure  # a trailing comma, or a bracket never opened
            inner = stack.pop()
            if first != ("}" if type(inner) is dict else "]"):
                raise _Unsure
            paths.pop()
            expect = _SEPARATOR if stack else _DONE
            continue
        if first == ",":
            if expect != _SEPARATOR or not stack:
                raise _Unsure
            expect = _KEY_NEXT if type(stack[-1]) is dict else _VALUE
            continue
        if word:  # a key
            if expect != _KEY_NEXT and expect != _OPENED_MAP:
                raise _Unsure
            key = word
            if key in _WORDS or key in stack[-1]:
                raise _Unsure
            expect = _VALUE
            continue
        if expect != _VALUE and expect != _OPENED_LIST:
            raise _Unsure
        value: Any
        if first == "{":
            value = {}
        elif first == "[":
            value = []
        elif first == '"':
            value = whole.lstrip(" ")[1:-1]
        elif first == "'":
            value = whole.lstrip(" ")[1:-1].replace("''", "'")
        else:
            value = resolve(plain)
        if stack:
            inner = stack[-1]
            if type(inner) is dict:
                child = f"{paths[-1]}.{key}"
                inner[key] = value
            else:
                child = f"{paths[-1]}[{len(inner)}]"
                inner.append(value)
            lines[child] = number
        elif first == "{" or first == "[":
            root, child = value, path
        else:
            raise _Unsure
        if first == "{" or first == "[":
            if len(stack) + depth >= MAX_DEPTH:
                raise _Unsure
            stack.append(value)
            paths.append(child)
            expect = _OPENED_MAP if first == "{" else _OPENED_LIST
        else:
            expect = _SEPARATOR
    if covered != len(text):
        raise _Unsure  # something no token matches
    if expect != _DONE:
        raise _Unsure  # unclosed: the collection goes on over the next lines
    return root


def _signed(text: str) -> bool:
    """`-5`, `-0.3`: a minus that starts a number, not a sequence item."""
    return text[0] == "-" and text[1:2].isdigit()


def _quoted(text: str, start: int) -> tuple[str, int]:
    """A one-line quoted scalar from `start`: its value and the index after it."""
    quote = text[start]
    if quote == '"':
        end = text.find('"', start + 1)
        if end < 0 or "\\" in text[start + 1 : end]:
            raise _Unsure  # escapes and multi-line strings: PyYAML
        return text[start + 1 : end], end + 1
    parts: list[str] = []
    position = start + 1
    while True:
        end = text.find("'", position)
        if end < 0:
            raise _Unsure
        parts.append(text[position:end])
        if text.startswith("'", end + 1):  # '' is one quote
            parts.append("'")
            position = end + 2
            continue
        return "".join(parts), end + 1


def resolve(text: str) -> Any:
    """A plain scalar's value as PyYAML's safe loader resolves it, or _Unsure."""
    if text[0] not in RESOLVED_FIRST:
        return text
    if text in _WORDS:
        return _WORDS[text]
    if text[0] not in _NUMERIC_FIRST:
        if text[0] in "<=!&*":
            raise _Unsure
        return text  # a word that only starts like a boolean or null (`normal`, `often`)
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    date = _DATE.fullmatch(text)
    if date:
        return dt.date(int(date.group(1)), int(date.group(2)), int(date.group(3)))
    raise _Unsure  # other numbers, timestamps, `1_000`, `0o7`, `3 seeds`…
