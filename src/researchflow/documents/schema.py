"""The document engine: a document type declares its fields as data, and one reader turns
them into values and `path:line: field: problem (fix)` lines (pure).

A field is a key, a kind (how its value is read: text, a choice, a date, a whole number in
a range, a list of names, a mapping of further fields, or a function for what is the
document's own), whether it is required (always, or from a status on) and the fix to show
when it is missing. The reader keeps the problems in the order the fields are declared,
points each at its line, falls back to line 1 for a missing top-level key, and offers a
"did you mean" for an unknown one. Plans, problem statements and the report's front matter
are read through it; a new field is one declaration in the document's schema.

Kinds are plain classes, not dataclasses: `rflow validate` imports this on every commit.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from researchflow.base.problems import Problem
from researchflow.base.strictkeys import EXTENSION_PREFIX, suggestion
from researchflow.documents.document import Document, Section

PLACEHOLDER = re.compile(r"\bTODO\b")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
PLACEHOLDER_MESSAGE = "still holds template placeholder text (TODO)"
PLACEHOLDER_FIX = "replace the TODO text with your own"

MISSING = object()  # what a kind returns when the value is unusable (its problem is added)


class Reader:
    """Reads one document against its declarations, collecting problems and warnings."""

    def __init__(self, document: Document, path: str) -> None:
        self.document = document
        self.data: dict[str, Any] = document.front_matter
        self.path = path
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, field: str, message: str, fix: str, line: int | None = None) -> None:
        where = self.document.line_of(field) if line is None else line
        self.problems.append(Problem(self.path, where, field, message, fix))

    def warn(self, field: str, message: str, fix: str, line: int | None = None) -> None:
        where = self.document.line_of(field) if line is None else line
        self.warnings.append(Problem(self.path, where, field, message, fix, "warning"))

    def missing(self, key: str, fix: str, message: str = "missing") -> None:
        """A missing top-level key is shown at line 1; a nested one at its parent's line."""
        self.add(key, message, fix, 1 if "." not in key and "[" not in key else None)

    def read(
        self, fields: Sequence[Field], container: Any = None, prefix: str = ""
    ) -> dict[str, Any]:
        """Each field's value (None where absent or unusable), in declaration order."""
        source = self.data if container is None else container
        return {field.name: field.read(self, source, prefix) for field in fields}

    def unknown(
        self,
        container: Mapping[Any, Any],
        known: Iterable[str],
        *,
        also: Iterable[str] = (),
        prefix: str = "",
        message: str = "unknown key",
        fix: str | None = None,
        text_keys_only: bool = False,
        extensions: bool | None = None,
    ) -> None:
        """Keys that are neither `known`, `also` (e.g. Quarto's) nor a team's `x-` field;
        the fix is `fix`, else the near miss among `known`, else the `x-` escape.
        `extensions`: whether `x-` keys are a team's own (default: at the top level only)."""
        own = tuple(known)
        allowed = set(own) | set(also)
        for key in container:
            if text_keys_only and not isinstance(key, str):
                continue
            name = str(key)
            own_field = (not prefix) if extensions is None else extensions
            if name in allowed or (own_field and name.startswith(EXTENSION_PREFIX)):
                continue
            self.add(f"{prefix}{name}", message, fix if fix is not None else suggestion(name, own))


class Kind:
    """How a present value is read: the value, or MISSING after adding its problem."""

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        raise NotImplementedError

    def missing_fix(self, key: str) -> str:
        return ""


Required = bool | Callable[[Reader], bool]


class Field:
    def __init__(
        self,
        key: str,
        kind: Kind,
        fix: str = "",
        *,
        required: Required = False,
        name: str | None = None,
        default: Any = None,
        missing: str = "missing",
        null_is_value: bool = False,
    ) -> None:
        self.key = key
        self.kind = kind
        self.fix = fix
        self.required = required
        self.name = name or key
        self.default = default
        self.missing_message = missing
        self.null_is_value = null_is_value  # `key: null` is read by the kind, not "missing"

    def read(self, reader: Reader, source: Any, prefix: str) -> Any:
        key = prefix + self.key
        value = source.get(self.key) if isinstance(source, dict) else None
        if value is None and self.null_is_value and isinstance(source, dict) and self.key in source:
            result = self.kind.read(reader, key, None)
            return self.default if result is MISSING else result
        if value is None:
            required = self.required(reader) if callable(self.required) else self.required
            if required:
                reader.missing(key, self.fix or self.kind.missing_fix(key), self.missing_message)
            return self.default
        result = self.kind.read(reader, key, value)
        return self.default if result is MISSING else result


class Text(Kind):
    """Non-empty text, stripped."""

    def __init__(self, fix: str = "") -> None:
        self.fix = fix

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip():
            reader.add(key, f"must be non-empty text, not {value!r}", self.fix)
            return MISSING
        return value.strip()


class Choice(Kind):
    def __init__(self, options: Sequence[str], fix: str | None = None) -> None:
        self.options = tuple(options)
        self.fix = fix if fix is not None else f"use one of: {', '.join(self.options)}"

    def missing_fix(self, key: str) -> str:
        return f"add '{key}: {self.options[0]}'"

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if value not in self.options:
            reader.add(key, f"{value!r} is not allowed", self.fix)
            return MISSING
        return str(value)


class Date(Kind):
    """A date: YAML's own, a datetime's day, or ISO text."""

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        reader.add(key, f"{value!r} is not a date", "write it as YYYY-MM-DD")
        return MISSING


class Whole(Kind):
    """A whole number within [low, high] (never a bool)."""

    def __init__(self, low: int = 1, high: int | None = None, *, message: str, fix: str) -> None:
        self.low, self.high, self.message, self.fix = low, high, message, fix

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < self.low
            or (self.high is not None and value > self.high)
        ):
            reader.add(key, self.message.format(value=value), self.fix)
            return MISSING
        return value


class Number(Kind):
    """A number, optionally >= minimum, or within (low, high]."""

    def __init__(
        self,
        *,
        minimum: float | None = None,
        above: float | None = None,
        at_most: float | None = None,
        message: str = "{value!r} is not a number",
        fix: str = "write a number, e.g. 0.42",
    ) -> None:
        self.minimum, self.above, self.at_most = minimum, above, at_most
        self.message, self.fix = message, fix

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            reader.add(key, self.message.format(value=value), self.fix)
            return MISSING
        if self.minimum is not None and value < self.minimum:
            reader.add(key, f"{value!r} is negative", "use a number >= 0")
            return MISSING
        outside = (self.above is not None and not value > self.above) or (
            self.at_most is not None and not value <= self.at_most
        )
        if outside:
            reader.add(key, self.message.format(value=value), self.fix)
            return MISSING
        return float(value)


class Names(Kind):
    """A name or a list of names → a tuple of stripped names."""

    def __init__(self, example: str) -> None:
        self.example = example

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            reader.add(key, "must be a list of names", self.example)
            return MISSING
        return tuple(v.strip() for v in value)


# quoting, escapes, and the whitespace str.split splits at but shlex does not
_NOT_PLAIN_WORDS = frozenset("'\"\\\x0b\x0c\x1c\x1d\x1e\x1f")


class CommandLine(Kind):
    """A command as argv: a string is split like a shell would, but never run by one."""

    example = "e.g. 'python train.py --epochs 3' or [python, train.py]"

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if isinstance(value, str):
            if value.isascii() and _NOT_PLAIN_WORDS.isdisjoint(value):
                return tuple(value.split())  # what shlex.split makes of it, faster
            try:
                return tuple(shlex.split(value))
            except ValueError as error:
                reader.add(key, f"cannot be split into arguments ({error})", self.example)
                return MISSING
        if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
            return tuple(value)
        reader.add(
            key, f"must be a command line or a list of arguments, not {value!r}", self.example
        )
        return MISSING


class Fields(Kind):
    """A mapping of further fields: unknown keys are refused with `unknown`/`fix`; `build`
    makes the value from the fields' values (MISSING when it cannot)."""

    def __init__(
        self,
        fields: Sequence[Field],
        example: str,
        *,
        build: Callable[[Reader, str, dict[str, Any]], Any],
        unknown: str = "unknown field",
        unknown_first: bool = True,
        listed: Sequence[str] | None = None,
    ) -> None:
        self.fields = tuple(fields)
        self.listed = tuple(listed) if listed is not None else tuple(f.key for f in fields)
        self.example = example
        self.build = build
        self.unknown_message = unknown
        self.unknown_first = unknown_first

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if not isinstance(value, dict):
            reader.add(key, "must be a mapping", self.example)
            return MISSING
        names = self.listed
        fix = f"use {', '.join(names)}"
        if self.unknown_first:
            reader.unknown(value, names, prefix=f"{key}.", message=self.unknown_message, fix=fix)
        values = reader.read(self.fields, value, f"{key}.")
        if not self.unknown_first:
            reader.unknown(value, names, prefix=f"{key}.", message=self.unknown_message, fix=fix)
        return self.build(reader, key, values)


class Entries(Kind):
    """A list rflow's own commands write: each item made by `make`, or None when it is not
    of the expected `shape` (then `{key}[i]: {shape} ({fix})`). Empty and absent are ()."""

    def __init__(self, make: Callable[[Any], Any], shape: str, fix: str) -> None:
        self.make, self.shape, self.fix = make, shape, fix

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        items = value or []
        if not isinstance(items, list):
            reader.add(key, "must be a list", self.fix)
            return MISSING
        made: list[Any] = []
        for index, item in enumerate(items):
            entry = self.make(item)
            if entry is None:
                reader.add(f"{key}[{index}]", self.shape, self.fix)
            else:
                made.append(entry)
        return tuple(made)


class Custom(Kind):
    """What is the document's own: function(reader, key, value) → value or MISSING."""

    def __init__(self, function: Callable[[Reader, str, Any], Any]) -> None:
        self.function = function

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        return self.function(reader, key, value)


# --- sections ----------------------------------------------------------------------------


def blanked(text: str) -> str:
    """HTML comments blanked line for line, so reported line numbers stay true."""
    return HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def placeholder_line(section: Section, body: str) -> int | None:
    """The line of the first TODO in a section's (blanked) body, or None."""
    found = PLACEHOLDER.search(body)
    return None if found is None else section.line + body[: found.start()].count("\n") + 1


def placeholder_fields(reader: Reader, keys: Iterable[str], fix: str = PLACEHOLDER_FIX) -> None:
    """Front-matter text fields still holding the template's TODO."""
    for key in keys:
        value = lookup(reader.data, key)
        if isinstance(value, str) and PLACEHOLDER.search(value):
            reader.add(key, PLACEHOLDER_MESSAGE, fix)


def lookup(data: Any, path: str) -> Any:
    """`roles.author` / `predictions[0].metric` → the value, or None."""
    if "." not in path and "[" not in path:
        return data.get(path) if isinstance(data, dict) else None
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            data = data[index] if isinstance(data, list) and index < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data
