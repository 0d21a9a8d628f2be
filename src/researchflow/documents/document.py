"""A `.qmd` file → its YAML front matter and its level-2 sections, with line numbers (pure).

The front matter is loaded with a safe loader that also refuses duplicate keys and records
the line of every field, so validators can point at `path:line`.
"""

from __future__ import annotations

import re

from researchflow.base import TYPE_CHECKING
from researchflow.documents.document_error import DocumentError as DocumentError
from researchflow.documents.plainyaml import read_plain

if TYPE_CHECKING:
    from typing import Any

# a plan's fields fit in a few KB; bigger front matter is data that belongs elsewhere
MAX_FRONT_MATTER = 1024 * 1024

# the newline before a line that opens or closes a code fence (the fence in group 1: up to
# three spaces before it), or that may be a `##`/`###` heading (a literal first: fast search)
_MARKS = re.compile(r"\n(?:##|[^\S\n]{0,3}(```|~~~))")
HEADING = re.compile(r"^(#{2,3})\s+(.*?)\s*#*\s*$")
ATTRIBUTES = re.compile(r"\s*\{[^}]*\}\s*$")
FRONT_MATTER_END = ("---", "...")


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
    body_offset = sum(map(len, lines[: end + 1])) + end + 1  # where line end + 1 starts
    sections = _sections(text, lines, end + 1, body_offset)
    return Document(data, field_lines, sections, end + 2, text)


def _closing_line(lines: list[str]) -> int:
    for index in range(1, len(lines)):
        if lines[index].rstrip() in FRONT_MATTER_END:
            return index
    raise DocumentError(
        1, "front matter", "front matter is not closed", "end the YAML block with a '---' line"
    )


def load_yaml_mapping(yaml_text: str, first_line: int = 1) -> tuple[dict[str, Any], dict[str, int]]:
    """Load a YAML mapping safely, refusing duplicate keys and unsafe tags, and text past
    the limits of `safeyaml` (size, depth, alias expansion).

    Most front matter is the template's everyday shape, which `plainyaml` reads without
    PyYAML (status reads hundreds of plans, and the pre-commit hook never imports PyYAML
    for them). Anything else, including every error, goes to PyYAML (`pyyaml_mapping`),
    so each problem is reported exactly as before."""
    if len(yaml_text) <= MAX_FRONT_MATTER:
        found = read_plain(yaml_text, first_line)
        if found is not None:
            return found
    from researchflow.documents.pyyaml_mapping import load_mapping

    return load_mapping(yaml_text, first_line, MAX_FRONT_MATTER)


_ABSENT = object()
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


def _sections(text: str, lines: list[str], start: int, offset: int) -> tuple[Section, ...]:
    """Level-2 sections (with their level-3 subsections) outside fenced code blocks, from
    line `start` (at `offset` in `text`) on. Only the lines that may open a heading or a
    fence are looked at: one regex finds them."""
    headings: list[tuple[int, int, str]] = []  # (index, level, title)
    in_fence: str | None = None
    index, position = start, offset
    for mark in _MARKS.finditer(text, offset - 1):  # from the newline before line `start`
        line_start = mark.start() + 1
        index += text.count("\n", position, line_start)
        position = line_start
        marker = mark.group(1)
        if marker:  # a fence
            if in_fence is None:
                in_fence = marker
            elif marker == in_fence:
                in_fence = None
            continue
        if in_fence is None:
            heading = _heading(lines[index])
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
