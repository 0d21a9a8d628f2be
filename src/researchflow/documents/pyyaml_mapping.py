"""A YAML mapping and the line of each of its fields, through PyYAML (pure).

The way `load_yaml_mapping` reads front matter that is not the everyday shape `plainyaml`
reads, and the one that reports every YAML problem. Plain front matter (no anchors,
aliases or explicit tags, nothing wrong) is built in one pass over libyaml's events
(`_plain_mapping`); anything else is composed and built node by node, after the limits of
`safeyaml` are checked.
"""

from __future__ import annotations

import yaml

from researchflow.base import TYPE_CHECKING, safeyaml
from researchflow.documents.document_error import DocumentError

if TYPE_CHECKING:
    from typing import Any

try:  # the C loader is ~10x faster
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader; construction is done by _build so we see every node's line."""


def load_mapping(
    yaml_text: str, first_line: int, max_bytes: int
) -> tuple[dict[str, Any], dict[str, int]]:
    """The mapping and its field lines; DocumentError with the line of the first problem."""
    if len(yaml_text) <= max_bytes:
        fast = _plain_mapping(yaml_text, first_line)
        if fast is not None:
            return fast
    return _load_checked(yaml_text, first_line, max_bytes)


def _load_checked(
    yaml_text: str, first_line: int, max_bytes: int
) -> tuple[dict[str, Any], dict[str, int]]:
    """The full path: every limit checked, then the nodes composed and built one by one."""
    try:
        safeyaml.check_limits(yaml_text, max_bytes=max_bytes)
    except safeyaml.YamlLimitError as error:
        raise DocumentError(
            first_line + error.line - 1, "front matter", error.message, error.fix
        ) from None
    loader = _Loader(yaml_text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        if not isinstance(node, yaml.MappingNode):
            raise DocumentError(
                first_line + node.start_mark.line,
                "front matter",
                "front matter is not a mapping of fields",
                "write 'key: value' lines",
            )
        field_lines: dict[str, int] = {}
        value = _build(loader, node, "", field_lines, first_line)
        return value, field_lines
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + (mark.line if mark else 0)
        problem = (error.problem or str(error)).strip()
        source_lines = yaml_text.split("\n")
        offending = source_lines[mark.line] if mark and mark.line < len(source_lines) else ""
        tabbed = "\t" in offending[: len(offending) - len(offending.lstrip())] or "tab" in problem
        fix = "indent with spaces, not tabs" if tabbed else "fix the YAML syntax"
        raise DocumentError(line, "front matter", f"invalid YAML: {problem}", fix) from None
    except yaml.YAMLError as error:
        raise DocumentError(
            first_line, "front matter", f"invalid YAML: {error}", "fix the YAML syntax"
        ) from None
    finally:
        loader.dispose()


_SAFE_TAG_PREFIX = "tag:yaml.org,2002:"
_STR_TAG = _SAFE_TAG_PREFIX + "str"
_SCALAR = yaml.ScalarEvent
_MAPPING_START = yaml.MappingStartEvent
_MAPPING_END = yaml.MappingEndEvent
_SEQUENCE_START = yaml.SequenceStartEvent
_SEQUENCE_END = yaml.SequenceEndEvent


_ABSENT = object()
_CONSTRUCTED: dict[tuple[str, str], Any] = {}  # (tag, text) → value: ints, dates, booleans
_PLAIN: dict[str, Any] = {}  # a short plain scalar's text → its value (immutable)


def _plain_mapping(yaml_text: str, first_line: int) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The mapping and its field lines in one pass over the parser's events, or None when
    the text has anything but plain keys and values (anchors, aliases, explicit tags,
    collection keys, more than one document, too deep, a duplicate key, a YAML error):
    the same values and lines `_load_checked` builds, at a fraction of its cost."""
    loader = _Loader(yaml_text)
    try:
        get = loader.get_event
        get()  # the stream's start
        if type(get()) is not yaml.DocumentStartEvent:
            return None
        start = get()
        if type(start) is not _MAPPING_START or start.anchor is not None or start.tag is not None:
            return None
        resolvers = loader.yaml_implicit_resolvers
        if None in resolvers:  # a wildcard resolver someone added: leave it to PyYAML
            return None
        lines: dict[str, int] = {}
        root: dict[str, Any] = {}
        outer: list[tuple[Any, str, bool]] = []  # the enclosing collections
        container: Any = root
        prefix, is_map, key_line = "", True, 0
        key: Any = None  # the pending key of the mapping being read
        while True:
            event = get()
            kind = type(event)
            if kind is _SCALAR or kind is _MAPPING_START or kind is _SEQUENCE_START:
                if event.anchor is not None or event.tag is not None:
                    return None
            elif kind is _MAPPING_END or kind is _SEQUENCE_END:
                if not outer:
                    break
                container, prefix, is_map = outer.pop()
                continue
            else:
                return None
            if kind is _SCALAR:
                value: Any = event.value
                if event.implicit[0]:  # plain: resolved as PyYAML's resolver does
                    value = _PLAIN.get(value, _ABSENT)
                    if value is _ABSENT:
                        value = _resolve(loader, resolvers, event)
                if is_map and key is None:  # a key
                    if type(value) is not str:
                        value = str(value)
                    if value in container:
                        return None  # a duplicate: the full path reports it
                    key, key_line = value, first_line + event.start_mark.line
                    continue
            elif is_map and key is None:
                return None  # a collection as a key
            else:
                value = {} if kind is _MAPPING_START else []
            if is_map:
                path = f"{prefix}.{key}" if prefix else key
                lines[path] = key_line
                container[key] = value
                key = None
            else:
                path = f"{prefix}[{len(container)}]"
                lines[path] = first_line + event.start_mark.line
                container.append(value)
            if kind is not _SCALAR:
                outer.append((container, prefix, is_map))
                if len(outer) >= safeyaml.MAX_DEPTH:
                    return None  # the full path reports the depth
                container, prefix, is_map = value, path, kind is _MAPPING_START
        if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
            return None
        return root, lines
    except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError):
        return None
    finally:
        loader.dispose()


def _resolve(loader: Any, resolvers: Any, event: Any) -> Any:
    """A plain scalar's value: its text, or what the first matching resolver's tag makes
    of it. Short texts (keys, statuses, numbers, dates) are remembered: the value depends
    on the text alone, and every plan repeats them."""
    text = event.value
    value = text
    for tag, pattern in resolvers.get(text[:1], ()):
        if pattern.match(text):
            if tag != _STR_TAG:
                value = _construct(loader, tag, event)
            break
    if len(text) <= 40 and len(_PLAIN) < 4096:
        _PLAIN[text] = value
    return value


def _construct(loader: Any, tag: str, event: Any) -> Any:
    """A plain scalar of a tag other than str, as the safe constructor makes it; the
    values are immutable (numbers, booleans, null, dates), so each text is built once."""
    found = _CONSTRUCTED.get((tag, event.value), _ABSENT)
    if found is _ABSENT:
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        found = loader.construct_object(node, deep=True)
        if len(_CONSTRUCTED) < 4096:
            _CONSTRUCTED[(tag, event.value)] = found
    return found


def _build(loader: Any, node: yaml.Node, path: str, lines: dict[str, int], offset: int) -> Any:
    line = offset + node.start_mark.line
    if path:
        lines[path] = line
    if not node.tag.startswith(_SAFE_TAG_PREFIX) or node.tag.startswith(
        _SAFE_TAG_PREFIX + "python"
    ):
        raise DocumentError(
            line, path or "front matter", f"unsupported YAML tag {node.tag}", "remove the tag"
        )
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node, "", {}, offset)
            if not isinstance(key, str):
                key = str(key)
            child = f"{path}.{key}" if path else key
            if key in result:
                raise DocumentError(
                    offset + key_node.start_mark.line,
                    child,
                    "duplicate key",
                    "keep only one of the two entries",
                )
            result[key] = _build(loader, value_node, child, lines, offset)
            lines[child] = offset + key_node.start_mark.line
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, f"{path}[{index}]", lines, offset)
            for index, item in enumerate(node.value)
        ]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as error:
        raise DocumentError(
            line, path or "front matter", f"invalid value: {error.problem}", "fix the value"
        ) from None
    except (ValueError, TypeError, AttributeError, OverflowError) as error:
        # e.g. `created: 2026-13-45` or `!!int abc`: PyYAML's constructors raise plain errors
        raise DocumentError(
            line, path or "front matter", f"invalid value: {error}", "fix the value"
        ) from None
