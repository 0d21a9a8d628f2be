"""The document engine: a document type declares its fields as data, and one reader turns
them into values and `path:line: field: problem (fix)` lines (pure).

A field is a key, a kind (how its value is read: text, a choice, a date, a number, a list of
names or arguments, a mapping of further fields, a list of items, a table of values, or a
function for what is the document's own; the kinds are in documents/kinds.py), whether it is
required (always, or from a status on), what `key: null` means, whether its value may repeat
in its list, and the fix to show when it is missing. The reader keeps the problems in the
order the fields are declared (or, for a mapping that asks for it, the order the file has),
points each at its line, falls back to line 1 for a missing top-level key, and offers a "did
you mean" for an unknown one. Plans, problem statements, the report's front matter,
runs.yaml and researchflow.yaml are read through it; a new field is one declaration in the
document's schema.

Kinds are plain classes, not dataclasses: `rflow validate` imports this on every commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from researchflow.base import TYPE_CHECKING
from researchflow.base.problems import Problem
from researchflow.base.strictkeys import EXTENSION_PREFIX, suggestion
from researchflow.documents.document import Document, Section

if TYPE_CHECKING:
    from typing import Any

PLACEHOLDER = re.compile(r"\bTODO\b")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
PLACEHOLDER_MESSAGE = "still holds template placeholder text (TODO)"
PLACEHOLDER_FIX = "replace the TODO text with your own"

MISSING = object()  # what a kind returns when the value is unusable (its problem is added)
ABSENT = object()  # what a kind returns when the value counts as not written (e.g. "")
_LAST_INDEX = re.compile(r"\[\d+\](?!.*\[\d+\])")
_LIST_FIELDS: dict[str, str] = {}  # `a[3].b` → `a[].b`


class Reader:
    """Reads one document against its declarations, collecting problems and warnings."""

    def __init__(self, document: Document, path: str) -> None:
        self.document = document
        self.data: dict[str, Any] = document.front_matter
        self.path = path
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self._seen: dict[str, set[Any]] = {}  # a list's key → the unique values read so far

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
        if not isinstance(source, dict):
            return {field.name: field.read(self, source, prefix) for field in fields}
        # Field.read's commonest outcomes, inline (a plan reads ~40 fields): an optional
        # field left out, a plain value that reads fine, and a present value of any other
        # kind (a field whose value must be unique aside); the rest goes through Field.read
        values: dict[str, Any] = {}
        get = source.get
        for field in fields:
            value = get(field.key)
            if value is None:
                if field._optional and (not field._null_read or field.key not in source):
                    values[field.name] = field.default
                    continue
            elif field._quick is not None:
                result = field._quick.value(value)
                if result is not INVALID and result is not ABSENT:
                    values[field.name] = result
                    continue
            elif field._plain is None and field.unique is None:
                key = prefix + field.key
                result = field._read(self, key, value)
                if result is MISSING:
                    result = field.default
                elif result is ABSENT:
                    result = field._absent(self, key)
                values[field.name] = result
                continue
            values[field.name] = field.read(self, source, prefix)
        return values

    def repeated(self, key: str, value: Any) -> bool:
        """Whether `value` was read before at the same field of another item of its list
        (`predictions[3].metric` is compared with `predictions[0..2].metric`)."""
        field = _LIST_FIELDS.get(key)
        if field is None:  # the same few keys in every document: the pattern runs once each
            field = _LAST_INDEX.sub("[]", key)
            if len(_LIST_FIELDS) < 1024:
                _LIST_FIELDS[key] = field
        seen = self._seen.get(field)
        if seen is None:
            self._seen[field] = {value}
            return False
        if value in seen:
            return True
        seen.add(value)
        return False

    def unknown(
        self,
        container: Iterable[Any],
        known: Iterable[str],
        *,
        also: Iterable[str] = (),
        prefix: str = "",
        message: str = "unknown key",
        fix: str | None = None,
        otherwise: str | None = None,
        text_keys_only: bool = False,
        extensions: bool | None = None,
    ) -> None:
        """Keys that are neither `known`, `also` (e.g. Quarto's) nor a team's `x-` field;
        the fix is `fix`, else the near miss among `known`, else `otherwise`, else the
        `x-` escape. `extensions`: whether `x-` keys are a team's own (default: at the top
        level only)."""
        own = known if type(known) is tuple else tuple(known)
        extra = also if type(also) is tuple else tuple(also)
        allowed = _ALLOWED.get((own, extra))
        if allowed is None:  # the same few declarations every time: made once each
            allowed = frozenset(own) | frozenset(extra)
            if len(_ALLOWED) < 256:
                _ALLOWED[(own, extra)] = allowed
        if type(container) is dict and allowed.issuperset(container):
            return  # every key known: what almost every document is
        own_field = (not prefix) if extensions is None else extensions
        for key in container:
            if text_keys_only and not isinstance(key, str):
                continue
            name = str(key)
            if name in allowed or (own_field and name.startswith(EXTENSION_PREFIX)):
                continue
            shown = fix if fix is not None else suggestion(name, own, otherwise)
            self.add(f"{prefix}{name}", message, shown)


_ALLOWED: dict[tuple[tuple[str, ...], tuple[str, ...]], frozenset[str]] = {}


def describe(value: Any) -> str:
    """What a value is, in a problem's words: `must be text, not a list`."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def say(message: str, value: Any) -> str:
    """A kind's message with the value filled in: `{value!r}` and `{kind}` (describe)."""
    return message.format(value=value, kind=describe(value))


def error_line(problem: Problem, *, located: bool = True) -> str:
    """A problem as the one line of a UserError, unescaped as it always was; `located`:
    False where the source has no lines to show (pyproject.toml, a file at a revision)."""
    fix = f" ({problem.fix})" if problem.fix else ""
    where = f"{problem.path}:{problem.line}" if located else problem.path
    return f"{where}: {problem.field}: {problem.message}{fix}"


class Kind:
    """How a present value is read: the value, MISSING after adding its problem, or ABSENT
    when the value counts as not written (the field's default, or "missing" if required)."""

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        raise NotImplementedError

    def reading(self) -> Callable[[Reader, str, Any], Any]:
        """What a field calls to read a present value: `read`, or a kind's own shortcut."""
        return self.read

    def missing_fix(self, key: str) -> str:
        return ""


class Plain(Kind):
    """A kind that judges a value by itself: `value(value)` is the value, ABSENT, or INVALID
    (no problem added), and `problem(value)` the (message, fix) of an INVALID one. A field
    calls `value` directly, without building its key or passing the reader, and asks for
    the problem only when there is one: most of a document's fields are such scalars."""

    message = ""
    fix = ""

    def value(self, value: Any) -> Any:
        raise NotImplementedError

    def problem(self, value: Any) -> tuple[str, str]:
        return say(self.message, value), self.fix

    def read(self, reader: Reader, key: str, value: Any) -> Any:
        result = self.value(value)
        if result is INVALID:
            reader.add(key, *self.problem(value))
            return MISSING
        return result


INVALID = object()  # what a plain kind's `value` returns for an unusable value


Required = bool | Callable[[Reader], bool]


class Field:
    """One key of a mapping. `key: null` is absent, unless `null_is_value` (the kind reads
    None) or `null_problem` (message, fix) refuses it; `unique` (message, fix): the value
    may appear once in the list the mapping is an item of."""

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
        null_problem: tuple[str, str] | None = None,
        unique: tuple[str, str] | None = None,
    ) -> None:
        self.key = key
        self.kind = kind
        self.fix = fix
        self.required = required
        self.name = name or key
        self.default = default
        self.missing_message = missing
        self.null_is_value = null_is_value
        self.null_problem = null_problem
        self.unique = unique
        # decided once here rather than on every read
        self._null_read = bool(null_problem or null_is_value)  # `key: null` is not absent
        self._optional = required is False  # absent: the default
        self._plain = kind if isinstance(kind, Plain) else None
        self._quick = self._plain if unique is None else None  # Reader.read may inline it
        self._read = kind.reading()

    def read(self, reader: Reader, source: Any, prefix: str) -> Any:
        # the engine's innermost step, run for every field of every plan: kept flat, and
        # the key ("roles.author") is built only when a problem or the kind needs it
        value = source.get(self.key) if isinstance(source, dict) else None
        if value is None:
            if not self._null_read or not (isinstance(source, dict) and self.key in source):
                if self.required is False:
                    return self.default
                return self._absent(reader, prefix + self.key)
            if self.null_problem is not None:
                reader.add(prefix + self.key, *self.null_problem)
                return self.default
        plain = self._plain
        if plain is not None:
            result = plain.value(value)
            if result is INVALID:
                reader.add(prefix + self.key, *plain.problem(value))
                return self.default
            if result is ABSENT:
                return self._absent(reader, prefix + self.key)
            if self.unique is not None:
                key = prefix + self.key
                if reader.repeated(key, result):
                    reader.add(key, say(self.unique[0], value), self.unique[1])
                    return self.default
            return result
        key = prefix + self.key
        result = self._read(reader, key, value)
        if result is ABSENT:
            return self._absent(reader, key)
        if result is MISSING:
            return self.default
        if self.unique is not None and reader.repeated(key, result):
            reader.add(key, say(self.unique[0], value), self.unique[1])
            return self.default
        return result

    def _absent(self, reader: Reader, key: str) -> Any:
        required = self.required(reader) if callable(self.required) else self.required
        if required:
            reader.missing(key, self.fix or self.kind.missing_fix(key), self.missing_message)
        return self.default


# --- sections ----------------------------------------------------------------------------


def blanked(text: str) -> str:
    """HTML comments blanked line for line, so reported line numbers stay true."""
    if "<!--" not in text:  # most sections have none: no regex pass
        return text
    return HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def placeholder_line(section: Section, body: str) -> int | None:
    """The line of the first TODO in a section's (blanked) body, or None."""
    found = PLACEHOLDER.search(body) if "TODO" in body else None
    return None if found is None else section.line + body[: found.start()].count("\n") + 1


def placeholder_fields(reader: Reader, keys: Iterable[str], fix: str = PLACEHOLDER_FIX) -> None:
    """Front-matter text fields still holding the template's TODO."""
    for key in keys:
        value = lookup(reader.data, key)
        if isinstance(value, str) and "TODO" in value and PLACEHOLDER.search(value):
            reader.add(key, PLACEHOLDER_MESSAGE, fix)


def lookup(data: Any, path: str) -> Any:
    """`roles.author` / `predictions[0].metric` → the value, or None."""
    if "." not in path and "[" not in path:
        return data.get(path) if isinstance(data, dict) else None
    parts = _PATHS.get(path)
    if parts is None:
        parts = tuple(int(p[1:-1]) if p[0] == "[" else p for p in _PATH_PART.findall(path))
        if len(_PATHS) < 1024:
            _PATHS[path] = parts
    for part in parts:
        if type(part) is int:
            data = data[part] if isinstance(data, list) and part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


_PATH_PART = re.compile(r"[^.\[\]]+|\[\d+\]")
_PATHS: dict[str, tuple[str | int, ...]] = {}  # a path → its keys and indexes (paths repeat)
