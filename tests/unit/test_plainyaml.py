"""`plainyaml` reads everyday front matter without PyYAML: wherever it answers, it must give
exactly what PyYAML's safe loader gives (values, their types, each field's line); wherever
it is unsure, it must say None so that PyYAML reads the text and reports its problems."""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from researchflow.documents.document import DocumentError, load_yaml_mapping, parse_document
from researchflow.documents.plainyaml import RESOLVED_FIRST, read_plain
from researchflow.documents.pyyaml_mapping import load_mapping

TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "researchflow" / "templates"


def typed(value: Any) -> Any:
    """The value with every scalar's type beside it: True == 1 and 1 == 1.0 in Python."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, repr(value))


def by_pyyaml(text: str) -> Any:
    try:
        data, lines = load_mapping(text, 2, 1024 * 1024)
    except DocumentError:
        return None
    return typed(data), lines


def agrees(text: str) -> tuple[bool, Any]:
    """Whether read_plain answers, and that its answer is PyYAML's."""
    fast = read_plain(text, 2)
    if fast is None:
        return False, None
    expected = by_pyyaml(text)
    assert expected is not None, f"plainyaml read text PyYAML refuses:\n{text}"
    assert (typed(fast[0]), fast[1]) == expected, text
    return True, fast


# --- everyday shapes: read, and read as PyYAML reads them ---------------------------------


def front_matter(path: Path) -> str:
    lines = path.read_text().split("\n")
    end = lines.index("---", 1)
    return "\n".join(lines[1:end])


@pytest.mark.parametrize("name", ["plan.qmd", "problem.qmd", "report.qmd"])
def test_the_templates_are_read_without_pyyaml_as_pyyaml_reads_them(name: str) -> None:
    answered, _ = agrees(front_matter(TEMPLATES / name))
    assert answered


EVERYDAY = """\
title: "Idea 101 improves recall"   # a comment
id: H-101
status: concluded
created: 2026-11-16
roles: {author: alice, designer: null, executor: person21, reviewers: [dave, 'o''brien']}
rice: {reach: 2, impact: 3, confidence: 2.5, effort: -3}
predictions:
  - {metric: recall_at_10, baseline: 0.42, direction: increase, min_effect: 0.02}
  - metric: auc
    baseline: -0.5
    tags:
    - a
    - "b c"

    nested: {deep: [[1, 2], {x: ~}]}
data: []
extra: {}
url: http://example.org/a#b
plain: it's a plain, [unflowed] value
empty:
sequence_at_key_indent:
- one
- 2
"""


def test_everyday_front_matter_has_the_values_types_and_lines_pyyaml_gives() -> None:
    answered, (data, lines) = agrees(EVERYDAY)
    assert answered
    assert data["created"] == dt.date(2026, 11, 16)
    assert data["rice"] == {"reach": 2, "impact": 3, "confidence": 2.5, "effort": -3}
    assert data["roles"]["reviewers"] == ["dave", "o'brien"]
    assert data["predictions"][1]["tags"] == ["a", "b c"]
    assert data["empty"] is None
    assert lines["predictions[1].tags[1]"] == 14  # the text's 13th line; its first is line 2
    assert lines["predictions[1].nested.deep[1].x"] == 16


@pytest.mark.parametrize(
    "text",
    [
        "a: &anchor x\nb: *anchor",  # anchors and aliases
        "a: !!str 5",  # explicit tags
        "a: |\n  block\n  scalar",  # block scalars
        'a: "escaped \\n"',  # escapes
        "a: plain\n  continued",  # a multi-line plain scalar
        "a: 'multi\n  line'",
        "a: {b: 1,\n  c: 2}",  # a flow collection over lines
        "a:\tb",  # tabs
        "yes: 1",  # a key PyYAML turns into a boolean
        "a: 1\na: 2",  # a duplicate (PyYAML reports it)
        "a: 0x1F",  # numbers other than plain decimals
        "a: 1_000",
        "a: 1e5",
        "a: .inf",
        "a: 2026-02-30",  # an impossible date (PyYAML reports it)
        "a: 2026-11-16T09:00:00Z",  # timestamps
        "a: b: c",  # PyYAML refuses a second value
        "a: [b, ]",  # a trailing comma
        "a: {b:1}",
        "  a: 1",  # an indented top level
        "",
        "- a",
        "a: x\u00a0y",  # a no-break space: PyYAML's printable rules decide
        "a: <<",
    ],
)
def test_anything_but_the_everyday_shape_is_left_to_pyyaml(text: str) -> None:
    assert read_plain(text) is None


def test_the_unsure_cases_still_load_through_load_yaml_mapping() -> None:
    data, lines = load_yaml_mapping("a: &x [1, 2]\nb: *x\nc: |\n  text\n", first_line=2)
    assert data == {"a": [1, 2], "b": [1, 2], "c": "text\n"}
    assert lines["c"] == 4
    with pytest.raises(DocumentError, match="duplicate key"):
        load_yaml_mapping("a: 1\na: 2")


def test_plain_words_starting_like_a_boolean_are_strings_only_where_pyyaml_agrees() -> None:
    # the resolver table the fast path mirrors: a first character it treats as "always a
    # string" must be one PyYAML's implicit resolvers never look at
    resolved = set(yaml.CSafeLoader.yaml_implicit_resolvers) - {""}
    assert resolved <= RESOLVED_FIRST


def test_parse_document_of_a_plan_needs_no_pyyaml_import() -> None:
    import subprocess
    import sys

    plan = (TEMPLATES / "plan.qmd").read_text()
    code = (
        "import sys\n"
        "from researchflow.documents.document import parse_document\n"
        f"parse_document({plan!r})\n"
        "print('yaml' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert parse_document(plan).front_matter["status"] == "draft"


# --- generated documents: PyYAML is the oracle ------------------------------------------

KEYS = ["title", "id", "a", "b_c", "x-y", "_k", "metric", "roles", "rice", "data", "command"]
ODD_KEYS = ["yes", "Null", "on", "1", "k k", "'q'", "k.d", "a b:"]
EVERYDAY_SCALARS = [
    "plain", "two words", "a:b", "a#b", "-5", "0", "-0", "+3", "1.5", "-0.25", "2026-11-16",
    "~", "null", "yes", "no", "Off", "True", "normal", "often", "'it''s'", "''", '""',
    '"double"', '"a # b"', "[a, b]", "[]", "{}", "{a: 1, b: [x, y]}", "{a: {b: {c: d}}}",
    "[a, [b, [c]]]", "{a: 'x', b: \"y\"}", "{a: b} # c", "é unicode", "naïve — dash",
    "http://h/a#b", "x # comment", "a,b", "{x: yes, y: No, z: ~}", "[1, 1.5, -2, 2026-11-16]",
    "{a: [b, {c: d}], e: f}", "python train.py --seed 3", "{a: b} # {k: [c]}", "[a] # [b, c]",
]  # fmt: skip
SCALARS = [
    "plain", "two words", "a:b", "a: b", "a #c", "a#b", "-5", "-x", "- x", "+3", "0", "-0",
    "00", "012", "0o7", "0x1F", "1_000", "1.5", "-0.25", "1.", ".5", "1e5", "1.0e-05",
    "2026-11-16", "2026-1-5", "2026-13-45", "2026-11-16T09:00:00Z", "2026-11-16 09:00:00",
    "~", "null", "Null", "NULL", "yes", "Yes", "no", "NO", "on", "Off", "y", "n", "true",
    "False", "normal", "often", "'single'", "'it''s'", "''", '""', '"double"', '"esc\\n"',
    '"a # b"', "'a' # c", '"x" y', "[a, b]", "[]", "{}", "{ }", "[ a , b ]",
    "{a: 1, b: [x, y]}", "{a: 1,}", "[a, ]", "[a: 1]", "{a:1}", "{a: {b: {c: d}}}",
    "[a, [b, [c]]]", "{a: 'x', b: \"y\"}", "[a] b", "{a: b} # c", "{a: b}#c", "&x v", "*x",
    "!!str 5", "|", ">", "%x", "@x", "`x`", "?x", ":x", ",x", "é unicode", "naïve — dash",
    "x\u00a0y", ".inf", ".nan", "<<", "=", "1:20", "http://h/a#b", "x # comment", "a,b",
    "{x: yes, y: No, z: ~}", "[1, 1.5, -2, 2026-11-16]", "{a: [b, {c: d}], e: f}",
]  # fmt: skip
NOISE = [" ", "\t", ":", "#", "-", "{", "}", "[", "]", ",", "'", '"', "\n", "  ", "&", "!"]


def scalar(rng: random.Random) -> str:
    return rng.choice(SCALARS if rng.random() < 0.15 else EVERYDAY_SCALARS)


def key(rng: random.Random) -> str:
    return rng.choice(ODD_KEYS if rng.random() < 0.05 else KEYS)


def block(rng: random.Random, indent: int, depth: int) -> list[str]:
    """A block mapping at `indent`, as lines."""
    lines: list[str] = []
    for _ in range(rng.randint(1, 4)):
        name = key(rng)
        pad = " " * indent
        choice = rng.random()
        if rng.random() < 0.1:
            lines.append(pad + rng.choice(["# a comment", "", "   "]))
        if depth > 3 or choice < 0.55:
            comment = rng.choice(["", "", "", " # note", "#x"])
            lines.append(f"{pad}{name}: {scalar(rng)}{comment}")
        elif choice < 0.7:
            lines.append(f"{pad}{name}:")
            lines += block(rng, indent + rng.choice([2, 2, 4, 1]), depth + 1)
        elif choice < 0.9:
            lines.append(f"{pad}{name}:")
            lines += sequence(rng, indent + rng.choice([0, 2, 4]), depth + 1)
        else:
            lines.append(f"{pad}{name}:")
    return lines


def sequence(rng: random.Random, indent: int, depth: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.5:
            lines.append(f"{pad}- {scalar(rng)}")
        else:
            dash = rng.choice(["- ", "-   "])
            inner = block(rng, indent + len(dash), depth + 1)
            first = inner[0][indent + len(dash) :] if inner[0].strip() else "k: v"
            lines.append(pad + dash + first)
            lines += inner[1:]
    return lines


def document(rng: random.Random) -> str:
    text = "\n".join(block(rng, 0, 0))
    if rng.random() < 0.2:  # a stray character anywhere
        at = rng.randrange(len(text) + 1)
        text = text[:at] + rng.choice(NOISE) + text[at:]
    return text


EXAMPLES = int(os.environ.get("RFLOW_FUZZ_EXAMPLES", "300"))


@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None)
@given(st.randoms(use_true_random=False))
def test_generated_front_matter_is_read_as_pyyaml_reads_it_or_left_to_it(
    rng: random.Random,
) -> None:
    agrees(document(rng))


def test_the_generator_reaches_both_paths() -> None:
    """Not a vacuous oracle: a fixed corpus where plainyaml answers often, and is unsure often."""
    rng = random.Random(24)
    answered = [agrees(document(rng))[0] for _ in range(600)]
    assert 0.2 < sum(answered) / len(answered) < 0.9
