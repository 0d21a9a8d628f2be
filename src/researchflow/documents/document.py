"""A `.qmd` file → its YAML front matter and its level-2 sections, with line numbers (pure).

The front matter is loaded with a safe loader that also refuses duplicate keys and records
the line of every field, so validators can point at `path:line`.
"""

from __future__ import annotations

import re

import yaml

from researchflow.base import TYPE_CHECKING, safeyaml

if TYPE_CHECKING:
    from typing import Any

# a plan's fields fit in a few KB; bigger front matter is data that belongs elsewhere
MAX_FRONT_MATTER = 1024 * 1024

try:  # the C loader is ~10x faster; validate runs on every commit
    _BaseLoader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _BaseLoader = yaml.SafeLoader

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING = re.compile(r"^(#{2,3})\s+(.*?)\s*#*\s*$")
ATTRIBUTES = re.compile(r"\s*\{[^}]*\}\s*$")
FRONT_MATTER_END = ("---", "...")


class DocumentError(Exception):
    """The file cannot be read as a document at all."""

    def __init__(self, line: int, field: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.line = line
        self.field = field
        self.message = message
        self.fix = fix


class Section:
    """A level-2 section (with its level-3 subsections), or a level-3 one.

    Read-only by convention; a plain class, not a dataclass: `rflow validate` imports this
    on every commit, and `rflow status` makes thousands."""

    __slots__ = ("body", "level", "line", "subsections", "title")

    def __init__(
        self, title: str, line: int, level: int, body: str, subsections: tuple[Section, ...] = ()
    ) -> None:
        self.title = title
        self.line = line
        self.level = level
        self.body = body
        self.subsections = subsections

    def _key(self) -> tuple[Any, ...]:
        return (self.title, self.line, self.level, self.body, self.subsections)

    def __eq__(self, other: object) -> bool:
        return type(other) is Section and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Section(title={self.title!r}, line={self.line!r}, level={self.level!r}, "
            f"body={self.body!r}, subsections={self.subsections!r})"
        )


class Document:
    """A parsed document: its front matter, each field's line, its sections and its text."""

    __slots__ = ("_titles", "body_start", "front_matter", "lines", "sections", "text")

    def __init__(
        self,
        front_matter: dict[str, Any],
        lines: dict[str, int],  # field path ("roles.author", "predictions[0].metric") → line
        sections: tuple[Section, ...],
        body_start: int,  # first line after the closing '---'
        text: str = "",
    ) -> None:
        self.front_matter = front_matter
        self.lines = lines
        self.sections = sections
        self.body_start = body_start
        self.text = text
        self._titles: dict[str, Section] | None = None

    def _key(self) -> tuple[Any, ...]:
        return (self.front_matter, self.lines, self.sections, self.body_start, self.text)

    def __eq__(self, other: object) -> bool:
        return type(other) is Document and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Document(front_matter={self.front_matter!r}, lines={self.lines!r}, "
            f"sections={self.sections!r}, body_start={self.body_start!r})"
        )

    def line_of(self, path: str) -> int:
        """The line of a field, falling back to its nearest recorded parent, then line 1."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\[\d+\]|\.[^.\[]*|^[^.\[]*)$", "", path)
        return 1

    def section(self, title: str) -> Section | None:
        """The first section of that title (case and spacing aside), or None."""
        if self._titles is None:
            titles: dict[str, Section] = {}
            for section in self.sections:
                titles.setdefault(normalise_title(section.title), section)
            self._titles = titles
        return self._titles.get(normalise_title(title))


class YamlFile(Document):
    """A plain YAML file (runs.yaml) read like front matter: each field's line is found only
    when a problem asks for one, so a valid file is parsed once."""

    __slots__ = ("_located",)

    def __init__(self, data: dict[str, Any], text: str) -> None:
        super().__init__(data, {}, (), 1, text)
        self._located = False

    def line_of(self, path: str) -> int:
        if not self._located:
            from contextlib import suppress

            self._located = True
            with suppress(DocumentError):  # not a mapping, or not loadable this way: line 1
                self.lines = load_yaml_mapping(self.text)[1]
        return super().line_of(path)


def normalise_title(title: str) -> str:
    found = _TITLES.get(title)
    if found is None:  # the configured titles are looked up in every plan: made once
        found = " ".join(title.casefold().split())
        if len(_TITLES) < 4096:
            _TITLES[title] = found
    return found


_TITLES: dict[str, str] = {}


def decode(raw: bytes) -> str:
    """UTF-8 (a BOM is allowed) with universal newlines."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DocumentError(
            line, "encoding", f"not valid UTF-8 (byte {error.start})", "save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_document(raw: bytes | str) -> Document:
    """Split a Quarto document into front matter and sections; raise DocumentError."""
    text = decode(raw) if isinstance(raw, bytes) else raw
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        raise DocumentError(
            1, "front matter", "missing YAML front matter", "start the file with a '---' line"
        )
    end = _closing_line(lines)
    yaml_text = "\n".join(lines[1:end])
    data, field_lines = load_yaml_mapping(yaml_text, first_line=2)
    sections = _sections(lines, end + 1)
    return Document(data, field_lines, sections, end + 2, text)


def _closing_line(lines: list[str]) -> int:
    for index in range(1, len(lines)):
        if lines[index].rstrip() in FRONT_MATTER_END:
            return index
    raise DocumentError(
        1, "front matter", "front matter is not closed", "end the YAML block with a '---' line"
    )


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader; construction is done by _build so we see every node's line."""


def load_yaml_mapping(yaml_text: str, first_line: int = 1) -> tuple[dict[str, Any], dict[str, int]]:
    """Load a YAML mapping safely, refusing duplicate keys and unsafe tags, and text past
    the limits of `safeyaml` (size, depth, alias expansion).

    Most front matter is plain (no anchors, aliases or explicit tags, nothing wrong): one
    pass over the parser's events builds it (`_plain_mapping`). Anything else, including
    every error, goes the full way, so each problem is reported exactly as before."""
    if len(yaml_text) <= MAX_FRONT_MATTER:
        fast = _plain_mapping(yaml_text, first_line)
        if fast is not None:
            return fast
    return _load_checked(yaml_text, first_line)


def _load_checked(yaml_text: str, first_line: int) -> tuple[dict[str, Any], dict[str, int]]:
    """The full path: every limit checked, then the nodes composed and built one by one."""
    try:
        safeyaml.check_limits(yaml_text, max_bytes=MAX_FRONT_MATTER)
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


_HEADINGS: dict[str, tuple[int, str] | None] = {}  # a line → (level, title), or None


def _heading(line: str) -> tuple[int, str] | None:
    """A `##`/`###` line's level and title; remembered, as plans repeat their template's."""
    found = _HEADINGS.get(line, _ABSENT)
    if found is _ABSENT:
        match = HEADING.match(line)
        found = (len(match.group(1)), ATTRIBUTES.sub("", match.group(2))) if match else None
        if len(_HEADINGS) < 4096:
            _HEADINGS[line] = found
    return found  # type: ignore[return-value]


def _sections(lines: list[str], start: int) -> tuple[Section, ...]:
    """Level-2 sections (with their level-3 subsections) outside fenced code blocks."""
    headings: list[tuple[int, int, str]] = []  # (index, level, title)
    in_fence: str | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        fence = FENCE.match(line) if ("```" in line or "~~~" in line) else None
        if fence:
            marker = fence.group(1)
            if in_fence is None:
                in_fence = marker
            elif marker == in_fence:
                in_fence = None
            continue
        if in_fence is None and line.startswith("##"):
            heading = _heading(line)
            if heading is not None:
                headings.append((index, *heading))
    sections: list[Section] = []
    for position, (index, level, title) in enumerate(headings):
        if level != 2:
            continue
        end = len(lines)
        subsections: list[Section] = []
        for later in range(position + 1, len(headings)):  # no slice: linear in headings
            later_index, later_level, later_title = headings[later]
            if later_level == 2:
                end = later_index
                break
            sub_end = headings[later + 1][0] if later + 1 < len(headings) else len(lines)
            subsections.append(
                Section(
                    later_title, later_index + 1, 3, "\n".join(lines[later_index + 1 : sub_end])
                )
            )
        body = "\n".join(lines[index + 1 : end])
        sections.append(Section(title, index + 1, 2, body, tuple(subsections)))
    return tuple(sections)
