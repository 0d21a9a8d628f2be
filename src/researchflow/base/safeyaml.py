"""The one way rflow reads YAML: safe tags only, and bounded in size, depth and aliases (pure).

PyYAML's safe loader runs no code, but a few hundred bytes of anchors and aliases ("billion
laughs") expand to billions of values once anything walks them, and deep nesting exhausts
the stack. So before anything is built, one pass over the parser's events (libyaml's, when
PyYAML has it) measures the text: its size, its nesting depth, and how many values its
aliases would expand to. Past a limit the reader gets a `YamlLimitError` with the line, in
milliseconds, and nothing is built.
"""

from __future__ import annotations

from collections.abc import Callable

import yaml

from researchflow.base import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

try:  # the C parser is ~10x faster; validate and status read many files
    SafeLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    SafeLoader = yaml.SafeLoader

MAX_BYTES = 16 * 1024 * 1024  # a runs.yaml of ~20,000 entries
MAX_DEPTH = 64  # rflow's own files need fewer than 10 levels
MAX_ALIAS_VALUES = 10_000  # values that aliases may add, expanded, to the document


class YamlLimitError(yaml.YAMLError):
    """The YAML is unreadable or past a limit; `line` is 1-based within the text given.

    A `yaml.YAMLError` with a `problem_mark`, so code written for PyYAML's errors reports it
    with its line unchanged."""

    def __init__(self, line: int, message: str, fix: str) -> None:
        super().__init__(f"{message} ({fix})")
        self.line = line
        self.message = message
        self.fix = fix
        self.problem_mark = yaml.Mark("<yaml>", 0, max(line - 1, 0), 0, None, None)  # type: ignore[arg-type]


def check_limits(text: str, *, max_bytes: int = MAX_BYTES) -> None:
    """Raise YamlLimitError when `text` is too big, too deep or expands too far; also
    turns YAML syntax errors into YamlLimitError with their line."""
    if len(text) > max_bytes:
        raise YamlLimitError(
            1,
            f"YAML too large ({len(text) // 1024} KB, limit {max_bytes // 1024} KB)",
            "keep large data out of this file",
        )
    loader = SafeLoader(text)
    depth = 0
    anchors: dict[str, int] = {}  # anchor → values in its subtree, expanded
    open_counts: list[tuple[str | None, int]] = []  # (anchor, values so far) per collection
    counted = 0  # values in the document with aliases expanded
    distinct = 0  # values as written
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise YamlLimitError(
                        _line(event),
                        f"YAML nested more than {MAX_DEPTH} levels deep",
                        "flatten the structure",
                    )
                distinct += 1
                counted += 1
                open_counts.append((event.anchor, counted))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                anchor, start = open_counts.pop()
                if anchor is not None:
                    anchors[anchor] = counted - start + 1
            elif isinstance(event, yaml.ScalarEvent):
                distinct += 1
                counted += 1
                if event.anchor is not None:
                    anchors[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                if any(anchor == event.anchor for anchor, _ in open_counts):
                    raise YamlLimitError(
                        _line(event),
                        f"YAML alias *{event.anchor} is inside its own anchor (a cycle)",
                        "write the values out instead of using anchors and aliases",
                    )
                counted += anchors.get(event.anchor or "", 1)
                if counted - distinct > MAX_ALIAS_VALUES:
                    raise YamlLimitError(
                        _line(event),
                        f"YAML aliases expand to more than {MAX_ALIAS_VALUES} values",
                        "write the values out instead of using anchors and aliases",
                    )
    except YamlLimitError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join((error.problem or str(error)).split())
        fix = (
            "indent with spaces, not tabs"
            if _tabbed(text, mark, problem)
            else "fix the YAML syntax"
        )
        raise YamlLimitError(
            (mark.line + 1) if mark else 1, f"invalid YAML: {problem}", fix
        ) from None
    except yaml.YAMLError as error:
        raise YamlLimitError(1, f"invalid YAML: {error}", "fix the YAML syntax") from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise YamlLimitError(1, "YAML nested too deep", "flatten the structure") from None
    finally:
        loader.dispose()


def _tabbed(text: str, mark: Any, problem: str) -> bool:
    if "tab" in problem:
        return True
    lines = text.split("\n")
    offending = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    return "\t" in offending[: len(offending) - len(offending.lstrip())]


def _line(event: Any) -> int:
    mark = getattr(event, "start_mark", None)
    return mark.line + 1 if mark is not None else 1


def load(text: str | bytes, *, max_bytes: int = MAX_BYTES) -> Any:
    """`yaml.safe_load`, bounded; raises YamlLimitError (with a line) for any problem,
    including bytes that are not UTF-8."""
    if isinstance(text, bytes):
        text = decode(text)
    check_limits(text, max_bytes=max_bytes)
    try:
        return yaml.load(text, Loader=SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join((error.problem or str(error)).split())
        line = (mark.line + 1) if mark else 1
        raise YamlLimitError(line, f"invalid YAML: {problem}", "fix the value") from None
    except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError) as error:
        raise YamlLimitError(1, f"invalid YAML: {error}", "fix the value") from None


def load_file_text(text: str, name: str) -> Any:
    """`load` for a file another tool owns (dvc.yaml, dvc.lock, a .dvc file): bad YAML is
    one line naming the file and where, never a traceback."""
    from researchflow.base.errors import UserError

    try:
        return load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise UserError(f"{name}{line}: invalid YAML (fix it, or restore it from git)") from None


def decode(raw: bytes) -> str:
    """UTF-8 (a BOM is allowed); YamlLimitError with the line of the first bad byte."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise YamlLimitError(
            line, f"not valid UTF-8 (byte {error.start})", "save the file as UTF-8"
        ) from None


class _NoAliasDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Never writes anchors, so what rflow writes it can always read back."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(data: Any, **options: Any) -> str:
    """`yaml.safe_dump` that never writes anchors or aliases."""
    return str(yaml.dump(data, Dumper=_NoAliasDumper, **options))


def append_to_block_list(text: str, node: Any, block: Callable[[int], str]) -> str | None:
    """`text` with `block(indent)` added after the last item of `node`, a non-empty block
    list in it (edited as text, so comments and layout survive); None for any other node."""
    if not (isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value):
        return None
    position = node.end_mark.index
    head = text[:position]
    if not head.endswith("\n"):
        head += "\n"
    return head + block(node.start_mark.column) + text[position:]
