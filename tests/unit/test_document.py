"""The .qmd parser: good documents, and hostile ones that must give one clear problem."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from researchflow.documents.document import DocumentError, parse_document


def test_front_matter_fields_carry_their_line_numbers() -> None:
    document = parse_document(b"---\ntitle: x\nroles:\n  author: alice\n---\n## Context\n\ntext\n")
    assert document.front_matter == {"title": "x", "roles": {"author": "alice"}}
    assert document.line_of("title") == 2
    assert document.line_of("roles.author") == 4
    assert document.line_of("roles.unknown") == 3  # falls back to the parent


def test_sections_have_lines_and_subsections() -> None:
    text = "---\nid: H-001\n---\n## Design {#sec-d}\nintro\n### Step one\nbody\n## Risks\nr\n"
    document = parse_document(text)
    assert [(s.title, s.line) for s in document.sections] == [("Design", 4), ("Risks", 8)]
    assert [(s.title, s.line, s.body) for s in document.sections[0].subsections] == [
        ("Step one", 6, "body")
    ]


def test_headings_inside_code_fences_are_not_sections() -> None:
    text = "---\nid: H-001\n---\n## Real\n```python\n## not a heading\n```\n"
    document = parse_document(text)
    assert [s.title for s in document.sections] == ["Real"]


def test_cyrillic_crlf_and_bom_are_read() -> None:
    raw = '\ufeff---\r\ntitle: "Градуированная цель"\r\n---\r\n## Контекст\r\nтекст\r\n'.encode()
    document = parse_document(raw)
    assert document.front_matter["title"] == "Градуированная цель"
    assert document.sections[0].title == "Контекст"
    assert document.sections[0].body == "текст\n"


@pytest.mark.parametrize(
    ("raw", "line", "field", "words"),
    [
        (b"", 1, "front matter", "missing YAML front matter"),
        (b"title: no fences\n", 1, "front matter", "missing YAML front matter"),
        (b"---\ntitle: x\n## Context\n", 1, "front matter", "not closed"),
        (b"---\ntitle: x\n\tid: H-001\n---\n", 3, "front matter", "invalid YAML"),
        (b"---\ntitle: a\ntitle: b\n---\n", 3, "title", "duplicate key"),
        (b"---\nx: !!python/object:os.system {}\n---\n", 2, "x", "unsupported YAML tag"),
        (b"---\nx: !!python/name:os.system\n---\n", 2, "x", "unsupported YAML tag"),
        (b"---\n- a\n- b\n---\n", 2, "front matter", "not a mapping"),
        (b"---\ntitle: \xff\xfe\n---\n", 2, "encoding", "not valid UTF-8"),
    ],
)
def test_hostile_documents_raise_one_located_problem(
    raw: bytes, line: int, field: str, words: str
) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(raw)
    assert caught.value.line == line
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.fix  # every problem says how to fix it


def test_tab_indentation_suggests_spaces() -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(b"---\nroles:\n\tauthor: a\n---\n")
    assert "spaces" in caught.value.fix


def test_a_five_megabyte_document_parses() -> None:
    body = ("## Section\n" + "word " * 200 + "\n") * 5000
    raw = ("---\ntitle: big\n---\n" + body).encode()
    assert len(raw) > 5_000_000
    document = parse_document(raw)
    assert len(document.sections) == 5000


PLAIN_FRONT_MATTER = """\
title: "Graded target"
created: 2026-01-05
enabled: yes
nothing: ~
rice: {reach: 3, impact: 3}
predictions:
  - metric: recall_at_10
    baseline: 0.42
  - {metric: precision, baseline: .5}
2026: a year as a key
"""


def test_anchors_change_neither_values_nor_field_lines() -> None:
    # plain front matter is read in one pass; with an anchor it is read node by node:
    # a user sees the same values, and problems at the same lines, either way
    plain = parse_document(f"---\n{PLAIN_FRONT_MATTER}---\n")
    anchored_text = PLAIN_FRONT_MATTER.replace("rice: {", "rice: &r {") + "again: *r\n"
    anchored = parse_document(f"---\n{anchored_text}---\n")
    assert {**plain.front_matter, "again": {"reach": 3, "impact": 3}} == anchored.front_matter
    assert plain.front_matter["created"].isoformat() == "2026-01-05"
    assert plain.front_matter["enabled"] is True and plain.front_matter["nothing"] is None
    assert plain.front_matter["predictions"][1]["baseline"] == 0.5
    assert plain.front_matter["2026"] == "a year as a key"
    assert list(plain.lines.items()) == [
        (path, line) for path, line in anchored.lines.items() if not path.startswith("again")
    ]
    assert plain.line_of("predictions[1].baseline") == 10
    assert plain.line_of("predictions[0].baseline") == 9


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ("title: a\ntitle: b\n", (3, "title", "duplicate key")),
        ("roles: {author: a, author: b}\n", (2, "roles.author", "duplicate key")),
        ("created: 2026-13-45\n", (2, "created", "invalid value: month must be in 1..12")),
        ("title: !!python/name:os.system x\n", (2, "title", "unsupported YAML tag")),
    ],
)
def test_plain_looking_front_matter_still_reports_its_problem(
    front_matter: str, expected: tuple[int, str, str]
) -> None:
    with pytest.raises(DocumentError) as raised:
        parse_document(f"---\n{front_matter}---\n")
    error = raised.value
    assert (error.line, error.field) == expected[:2]
    assert error.message.startswith(expected[2])


# --- sections: the regex scan against the rule read line by line -----------------------

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^(#{2,3})\s+(.*?)\s*#*\s*$")
_ATTRIBUTES = re.compile(r"\s*\{[^}]*\}\s*$")


def sections_line_by_line(text: str) -> list[tuple]:
    """Every line after the front matter, in order: a fence opens or closes a code block (a
    closing fence repeats the opening one); outside code, `##`/`###` lines are headings; a
    section runs to the next heading of its level or above."""
    lines = text.split("\n")
    start = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")) + 1
    headings, fence = [], None
    for index in range(start, len(lines)):
        opened = _FENCE.match(lines[index])
        if opened:
            fence = (
                opened.group(1) if fence is None else (None if opened.group(1) == fence else fence)
            )
        elif fence is None and (match := _HEADING.match(lines[index])):
            headings.append((index, len(match.group(1)), _ATTRIBUTES.sub("", match.group(2))))
    found = []
    for position, (index, level, title) in enumerate(headings):
        if level == 2:
            later = headings[position + 1 :]
            end = next((h[0] for h in later if h[1] == 2), len(lines))
            subs = [h for h in later if h[0] < end]
            ends = [h[0] for h in subs[1:]] + [end] if subs else []
            children = [
                (t, i + 1, 3, "\n".join(lines[i + 1 : stop]), ())
                for (i, _, t), stop in zip(subs, ends, strict=True)
            ]
            found.append((title, index + 1, 2, "\n".join(lines[index + 1 : end]), tuple(children)))
    return found


def as_tuples(sections) -> list[tuple]:
    return [
        (
            s.title,
            s.line,
            s.level,
            s.body,
            tuple((c.title, c.line, c.level, c.body, ()) for c in s.subsections),
        )
        for s in sections
    ]


BODY_LINES = [
    "## Context", "## Context {#sec-c}", "### Step", "### Step ###", "# Title", "#### Deep",
    "##nospace", "##", "## ", "text", "", "   ", "```", "```python", "~~~", "   ```", "    ```",
    "\t```", "\x0b~~~", "x ```", "`` `", "## Risks", "### Modelling", "- item", "\u2028## x",
]  # fmt: skip


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.lists(st.sampled_from(BODY_LINES), max_size=30), st.booleans())
def test_sections_are_what_reading_every_line_in_order_finds(body: list[str], end: bool) -> None:
    text = "---\nid: H-001\n---\n" + "\n".join(body) + ("\n" if end else "")
    assert as_tuples(parse_document(text).sections) == sections_line_by_line(text)
