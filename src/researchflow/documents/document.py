"""A `.qmd` file → its YAML front matter and its level-2 sections, with line numbers (pure).

The front matter is loaded with a safe loader that also refuses duplicate keys and records
the line of every field, so validators can point at `path:line`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from researchflow.base import safeyaml

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


@dataclass(frozen=True)
class Section:
    title: str
    line: int
    level: int
    body: str
    subsections: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Document:
    front_matter: dict[str, Any]
    lines: dict[str, int]  # field path ("roles.author", "predictions[0].metric") → line
    sections: tuple[Section, ...]
    body_start: int  # first line after the closing '---'
    text: str = field(repr=False, default="")

    def line_of(self, path: str) -> int:
        """The line of a field, falling back to its nearest recorded parent, then line 1."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\[\d+\]|\.[^.\[]*|^[^.\[]*)$", "", path)
        return 1

    def section(self, title: str) -> Section | None:
        wanted = normalise_title(title)
        for section in self.sections:
            if normalise_title(section.title) == wanted:
                return section
        return None


def normalise_title(title: str) -> str:
    return " ".join(title.casefold().split())


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
    the limits of `safeyaml` (size, depth, alias expansion)."""
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


def _sections(lines: list[str], start: int) -> tuple[Section, ...]:
    """Level-2 sections (with their level-3 subsections) outside fenced code blocks."""
    headings: list[tuple[int, int, str]] = []  # (index, level, title)
    in_fence: str | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        fence = FENCE.match(line)
        if fence:
            marker = fence.group(1)
            if in_fence is None:
                in_fence = marker
            elif marker == in_fence:
                in_fence = None
            continue
        if in_fence is None and line.startswith("##"):
            match = HEADING.match(line)
            if match:
                title = ATTRIBUTES.sub("", match.group(2))
                headings.append((index, len(match.group(1)), title))
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
