"""The kinds of the document engine (documents/schema.py): how a present value is read.

A kind's `read(reader, key, value)` returns the value, MISSING after adding its problem, or
ABSENT when the value counts as not written. Messages are format strings: `{value!r}` is
the value, `{kind}` what it is ("a list", "true/false", "str").

Kinds are plain classes, not dataclasses: `rflow validate` imports this on every commit.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Callable, Sequence

from researchflow.base import TYPE_CHECKING
from researchflow.documents.schema import (
    ABSENT,
    INVALID,
    MISSING,
    Field,
    Kind,
    Plain,
    Reader,
    say,
)

if TYPE_CHECKING:
    from typing import Any

# isinstance's type sets, made once: `int | float` in a hot path builds a union on each call
_NUMBERS = (int, float)
_SCALARS = (str, int, float)
_NESTED = (dict, list)


class Text(Plain):
    """Non-empty text, stripped unless `strip` is False."""

    def __init__(
        self,
        fix: str = "",
        *,
        message: str = "must be non-empty text, not {value!r}",
        strip: bool = True,
    ) -> None:
        self.fix, self.message, self.strip = fix, message, strip

    def value(self, value: Any) -> Any:
        if not isinstance(value, str):
            return INVALID
        stripped = value.strip()
        if not stripped:
            return INVALID
        return stripped if self.strip else value


class Scalar(Plain):
    """A single value kept as text: YAML reads `experiment_id: 1` as a number, and it is
    still the ID "1". Empty text is absent."""

    def __init__(self, message: str = "must be text, not {kind}", fix: str = "") -> None:
        self.message, self.fix = message, fix

    def value(self, value: Any) -> Any:
        if isinstance(value, str) and not value:
            return ABSENT
        if isinstance(value, bool) or not isinstance(value, _SCALARS):
            return INVALID
        return str(value)


class AsText(Plain):
    """Any value, kept as its text (what rflow wrote there, read back as it always was)."""

    def value(self, value: Any) -> Any:
        return str(value)


class Flag(Plain):
    """true or false."""

    def __init__(self, message: str = "must be true or false, not {kind}", fix: str = "") -> None:
        self.message, self.fix = message, fix

    def value(self, value: Any) -> Any:
        return value if isinstance(value, bool) else INVALID


class Pattern(Plain):
    """Text matching `pattern` (and, unless `blank`, not only spaces), kept as written."""

    def __init__(
        self, pattern: re.Pattern[str], message: str, fix: str, *, blank: bool = True
    ) -> None:
        self.pattern, self.message, self.fix, self.blank = pattern, message, fix, blank

    def value(self, value: Any) -> Any:
        if (
            not isinstance(value, str)
            or not (self.blank or value.strip())
            or not self.pattern.match(value)
        ):
            return INVALID
        return value


class Choice(Plain):
    def __init__(self, options: Sequence[str], fix: str | None = None) -> None:
        self.options = tuple(options)
        self.fix = fix if fix is not None else f"use one of: {', '.join(self.options)}"

    def missing_fix(self, key: str) -> str:
        return f"add '{key}: {self.options[0]}'"

    def value(self, value: Any) -> Any:
        return INVALID if value not in self.options else str(value)

    def problem(self, value: Any) -> tuple[str, str]:
        return f"{value!r} is not allowed", self.fix


class Date(Plain):
    """A date: YAML's own, a datetime's day, or ISO text."""

    def value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        return INVALID

    def problem(self, value: Any) -> tuple[str, str]:
        return f"{value!r} is not a date", "write it as YYYY-MM-DD"


class Whole(Plain):
    """A whole number within [low, high] (never a bool); `low` None: any."""

    def __init__(
        self, low: int | None = 1, high: int | None = None, *, message: str, fix: str
    ) -> None:
        self.low, self.high, self.message, self.fix = low, high, message, fix

    def value(self, value: Any) -> Any:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or (self.low is not None and value < self.low)
            or (self.high is not None and value > self.high)
        ):
            return INVALID
        return value


class Number(Plain):
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

    def value(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, _NUMBERS):
            return INVALID
        if self.minimum is not None and value < self.minimum:
            return INVALID
        outside = (self.above is not None and not value > self.above) or (
            self.at_most is not None and not value <= self.at_most
        )
        return INVALID if outside else float(value)

    def problem(self, value: Any) -> tuple[str, str]:
        negative = (
            not isinstance(value, bool)
            and isinstance(value, _NUMBERS)
            and self.minimum is not None
            and value < self.minimum
        )
        if negative:
            return f"{value!r} is negative", "use a number >= 0"
        return say(self.message, value), self.fix


class Names(Plain):
    """A list of names → a tuple; `one`: a single name is a list of one; `strip`: names are
    stripped, and one of only spaces is refused."""

    def __init__(
        self,
        example: str,
        *,
        message: str = "must be a list of names",
        one: bool = True,
        strip: bool = True,
    ) -> None:
        self.example, self.message, self.one, self.strip = example, message, one, strip

    def value(self, value: Any) -> Any:
        if self.one and isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return INVALID
        names = stripped_names(value) if self.strip else texts(value)
        return INVALID if names is None else names

    def problem(self, value: Any) -> tuple[str, str]:
        shown = [value] if self.one and isinstance(value, str) else value
        return say(self.message, shown), self.example


# quoting, escapes, and the whitespace str.split splits at but shlex does not
_NOT_PLAIN_WORDS = frozenset("'\"\\\x0b\x0c\x1c\x1d\x1e\x1f")


class CommandLine(Plain):
    """A command as argv: a string is split like a shell would, but never run by one."""

    example = "e.g. 'python train.py --epochs 3' or [python, train.py]"

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            if value.isascii() and _NOT_PLAIN_WORDS.isdisjoint(value):
                return tuple(value.split())  # what shlex.split makes of it, faster
            try:
                return tuple(shlex.split(value))
            except ValueError:
                return INVALID
        if isinstance(value, list):
            words = texts(value)
            if words is not None:
                return words
        return INVALID

    def problem(self, value: Any) -> tuple[str, str]:
        if isinstance(value, str):
            try:
                shlex.split(value)
            except ValueError as error:
                return f"cannot be split into arguments ({error})", self.example
        return f"must be a command line or a list of arguments, not {value!r}", self.example


class Arguments(Plain):
    """The arguments of a command rflow ran, as text: one text is one argument (never
    split), numbers are their text, and an empty value is absent."""

    def __init__(self, message: str = "must be a list of arguments", fix: str = "") -> None:
        self.message, self.fix = message, fix

    def value(self, value: Any) -> Any:
        if not value:
            return ABSENT
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or any(isinstance(p, _NESTED) for p in value):
            return INVALID
        return tuple(str(part) for part in value)


# Loops, not comprehensions: on Python 3.11 each comprehension is a function call of its
# own, and these run on the one- or two-item lists of every plan.


def stripped_names(items: list[Any]) -> tuple[str, ...] | None:
    """Each item stripped, or None when one is not text or only spaces."""
    names = []
    for item in items:
        if not isinstance(item, str):
            return None
        name = item.strip()
        if not name:
            return None
        names.append(name)
    return tuple(names)


def texts(items: list[Any]) -> tuple[str, ...] | None:
    """The items as they are, or None when one is not non-empty text."""
    for item in items:
        if not isinstance(item, str) or not item:
            return None
    return tuple(items)


class Fields(Kind):
    """A mapping of further fields, made into a value by `build` (MISSING when it cannot;
    without `build`, the dict of the fields' values).

    `shape` is the problem when the value is not a mapping (`example` its fix). `unknown`
    is the problem of an undeclared key (None: any key is allowed); its fix is the near
    miss when `suggest`, else `unknown_fix` ("{listed}": the declared keys, or `listed`),
    and `extensions` lets `x-` keys be a team's own. Undeclared keys are reported before
    the fields (`unknown_first`) or after; `in_file_order` reads the keys in the file's
    order instead, undeclared ones in place, then the fields the file leaves out. `whole`:
    the value is built only when its fields read without a problem."""

    def __init__(
        self,
        fields: Sequence[Field],
        example: str,
        *,
        build: Callable[[Reader, str, dict[str, Any]], Any] | None = None,
        shape: str = "must be a mapping",
        unknown: str | None = "unknown field",
        unknown_fix: str | None = "use {listed}",
        suggest: bool = False,
        extensions: bool = False,
        listed: Sequence[str] | None = None,
        unknown_first: bool = True,
        in_file_order: bool = False,
        whole: bool = False,
    ) -> None:
        self.fields = tuple(fields)
        self.by_key = {field.key: field for field in self.fields}
        self.listed = tuple(listed) if listed is not None else tuple(self.by_key)
        self._listed = frozenset(self.listed)
        self._by_declaration = not in_file_order
        self.example = example
        self.build = build
        self.shape = shape
        self.unknown_message = unknown
        fix = unknown_fix.format(listed=", ".join(self.listed)) if unknown_fix else None
        self.unknown_fix = fix
        self.suggest = suggest
        self.extensions = extensions
        self.unknown_first = unknown_first
        self.in_file_order = in_file_order
        self.whole = whole

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if not isinstance(value, dict):
            reader.add(key, say(self.shape, value), self.example)
            return MISSING
        before = len(reader.problems)
        prefix = f"{key}." if key else ""
        if self._by_declaration and (
            self.unknown_message is None or self._listed.issuperset(value)
        ):
            values = reader.read(self.fields, value, prefix)  # no undeclared key to report
        else:
            values = self.values(reader, value, prefix)
        if self.whole and len(reader.problems) > before:
            return MISSING
        return values if self.build is None else self.build(reader, key, values)

    def values(self, reader: Reader, mapping: dict[Any, Any], prefix: str) -> dict[str, Any]:
        """The fields' values, with the mapping's undeclared keys reported."""
        if not self.in_file_order:
            if self.unknown_first:
                self._unknown(reader, mapping, prefix)
            values = reader.read(self.fields, mapping, prefix)
            if not self.unknown_first:
                self._unknown(reader, mapping, prefix)
            return values
        read: dict[str, Any] = {}
        for name in mapping:
            field = self.by_key.get(name)
            if field is None:
                self._unknown(reader, (name,), prefix)
            else:
                read[field.name] = field.read(reader, mapping, prefix)
        left = [field for field in self.fields if field.name not in read]
        return {**read, **reader.read(left, mapping, prefix)}

    def _unknown(self, reader: Reader, keys: Any, prefix: str) -> None:
        if self.unknown_message is None or (type(keys) is dict and self._listed.issuperset(keys)):
            return  # nothing to report: the usual mapping costs one set test
        reader.unknown(
            keys,
            self.listed,
            prefix=prefix,
            message=self.unknown_message,
            fix=None if self.suggest else self.unknown_fix,
            otherwise=self.unknown_fix,
            extensions=self.extensions,
        )


class Each(Kind):
    """A list; with `item`, each item is read by it at `key[i]` and kept unless unusable.
    `message` is the problem when the value is not a list (or, `nonempty`, is empty)."""

    def __init__(
        self,
        item: Kind | None = None,
        *,
        message: str = "must be a list",
        fix: str = "",
        nonempty: bool = False,
    ) -> None:
        self.item, self.message, self.fix, self.nonempty = item, message, fix, nonempty
        self._read_item = item.reading() if item is not None else None

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if not isinstance(value, list) or (self.nonempty and not value):
            reader.add(key, say(self.message, value), self.fix)
            return MISSING
        return self.items(reader, key, value)

    def items(self, reader: Reader, key: str, values: Sequence[Any]) -> tuple[Any, ...]:
        """The items of a list already known to be one."""
        read = self._read_item
        if read is None:
            return tuple(values)
        made = []
        for index, item in enumerate(values):
            value = read(reader, f"{key}[{index}]", item)
            if value is not MISSING and value is not ABSENT:
                made.append(value)
        return tuple(made)


class Table(Kind):
    """A mapping of names to values (`metrics: {recall_at_10: 0.42}`): each value read by
    `values` at `key.name`, names kept as text. `single`: nested mappings and lists are
    refused first ("must be a single value"), before any value is read. A null value is
    left out, unless `null_is_value`."""

    def __init__(
        self,
        values: Kind,
        *,
        message: str = "must be a mapping, not {kind}",
        fix: str = "",
        single: bool = True,
        null_is_value: bool = False,
    ) -> None:
        self.values, self.message, self.fix = values, message, fix
        self.single, self.null_is_value = single, null_is_value

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        if not isinstance(value, dict):
            reader.add(key, say(self.message, value), self.fix)
            return MISSING
        if self.single:
            for name, inner in value.items():
                if isinstance(inner, _NESTED):
                    problem = say("must be a single value, not {kind}", inner)
                    reader.add(f"{key}.{name}", problem, self.fix)
        table: dict[str, Any] = {}
        for name, inner in value.items():
            if (inner is None and not self.null_is_value) or (
                self.single and isinstance(inner, _NESTED)
            ):
                continue
            made = self.values.read(reader, f"{key}.{name}", inner)
            if made is not MISSING and made is not ABSENT:
                table[str(name)] = made
        return table


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

    def reading(self) -> Callable[[Reader, str, Any], Any]:
        return self.function  # a field calls the document's function itself
