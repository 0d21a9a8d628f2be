"""The document engine: a document type is a list of field declarations, and the engine
turns them into values and `path:line: field: problem (fix)` lines."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fixtures.problems import problem_text

from researchflow.documents.document import YamlFile, load_yaml_mapping, parse_document
from researchflow.documents.kinds import (
    Arguments,
    Choice,
    CommandLine,
    Date,
    Each,
    Fields,
    Flag,
    Names,
    Number,
    Pattern,
    Scalar,
    Table,
    Text,
    Whole,
)
from researchflow.documents.programme import read_problem
from researchflow.documents.schema import (
    Field,
    Kind,
    Reader,
)

# a document type of four fields, declared as data
TICKET = (
    Field("title", Text("add a title"), "add a title", required=True),
    Field("state", Choice(("open", "closed")), required=True),
    Field("due", Date()),
    Field(
        "budget",
        Fields(
            [Field("days", Whole(1, 30, message="{value!r} is out of range", fix="1..30"))],
            "e.g. budget: {days: 5}",
            build=lambda _reader, _key, values: values["days"],
        ),
    ),
    Field("owners", Names("e.g. owners: [alice]"), default=()),
)


def read(text: str) -> tuple[dict[str, Any], list[str]]:
    reader = Reader(parse_document(f"---\n{text}---\n"), "ticket.qmd")
    values = reader.read(TICKET)
    reader.unknown(reader.data, [field.key for field in TICKET])
    return values, [str(problem) for problem in reader.problems]


def test_a_declared_document_reads_its_values() -> None:
    values, problems = read("title: Fix it\nstate: open\ndue: 2026-12-01\nbudget: {days: 5}\n")
    assert problems == []
    assert values["title"] == "Fix it" and values["budget"] == 5 and values["owners"] == ()
    assert str(values["due"]) == "2026-12-01"


def test_each_problem_names_the_file_line_field_and_fix() -> None:
    _, problems = read("state: opened\nbudget: {days: 50, hours: 2}\nowners: 3\nstat: x\n")
    assert problems == [
        "ticket.qmd:1: title: missing (add a title)",
        "ticket.qmd:2: state: 'opened' is not allowed (use one of: open, closed)",
        "ticket.qmd:3: budget.hours: unknown field (use days)",
        "ticket.qmd:3: budget.days: 50 is out of range (1..30)",
        "ticket.qmd:4: owners: must be a list of names (e.g. owners: [alice])",
        "ticket.qmd:5: stat: unknown key (did you mean 'state'?)",
    ]


def test_an_agreed_statement_whose_metrics_are_not_a_list_gets_a_line_not_a_crash() -> None:
    text = problem_text().replace(
        "metrics:\n  - {name: retention_30d", "metrics: 1\nx-old:\n  - {name: retention_30d"
    )
    result = read_problem(text, "research/problem.qmd")
    assert result.statement is None
    assert [(p.field, p.message) for p in result.problems][:1] == [
        ("metrics", "must be a list of success metrics")
    ]


# --- the kinds runs.yaml and researchflow.yaml need ---------------------------------------

POINT = Fields(
    (
        Field(
            "name",
            Pattern(re.compile(r"^[a-z]+$"), "{value!r} is not a name", "e.g. a"),
            required=True,
            unique=("{value!r} is named twice", "keep one"),
        ),
        Field("x", Number(message="must be a number, not {kind}", fix="e.g. 1"), required=True),
    ),
    "e.g. {name: a, x: 1}",
    build=lambda _reader, _key, values: (values["name"], values["x"]),
    whole=True,
)
RECORD = (
    Field("points", Each(POINT, message="must be a list of points", fix="e.g. [{name: a, x: 1}]")),
    Field("scores", Table(Number(message="must be a number, not {kind}", fix="e.g. 0.5"))),
    Field("argv", Arguments(fix="e.g. [python, x.py]"), default=()),
    Field("id", Scalar(fix="e.g. 7"), required=True),
    Field("done", Flag(fix="true or false"), default=False),
    Field(
        "limit",
        Whole(1, message="must be >= 1, not {value!r}", fix=""),
        null_problem=("must not be empty", "remove it"),
    ),
)


def read_record(text: str) -> tuple[dict[str, Any], list[str]]:
    """A plain YAML file: each line is looked up only when a problem needs it."""
    reader = Reader(YamlFile(load_yaml_mapping(text)[0], text), "record.yaml")
    return reader.read(RECORD), [str(problem) for problem in reader.problems]


def test_a_list_of_mappings_keeps_the_items_without_problems() -> None:
    values, problems = read_record(
        "points:\n  - {name: a, x: 1}\n  - {name: b, x: many}\n  - {name: a, x: 2}\n  - 3\nid: 7\n"
    )
    assert values["points"] == (("a", 1.0),)
    assert problems == [
        "record.yaml:3: points[1].x: must be a number, not str (e.g. 1)",
        "record.yaml:4: points[2].name: 'a' is named twice (keep one)",
        "record.yaml:5: points[3]: must be a mapping (e.g. {name: a, x: 1})",
    ]


def test_a_table_refuses_nested_values_before_reading_any_and_leaves_nulls_out() -> None:
    values, problems = read_record("scores: {a: x, b: [1], c: null, d: 2}\nid: 7\n")
    assert values["scores"] == {"d": 2.0}
    assert problems == [
        "record.yaml:1: scores.b: must be a single value, not a list",
        "record.yaml:1: scores.a: must be a number, not str (e.g. 0.5)",
    ]


def test_a_scalar_is_text_and_empty_text_is_missing() -> None:
    assert read_record("id: 7\n")[0]["id"] == "7"
    assert read_record("id: ''\n")[1] == ["record.yaml:1: id: missing"]
    assert read_record("id: [7]\n")[1] == ["record.yaml:1: id: must be text, not a list (e.g. 7)"]


def test_arguments_keep_one_text_whole_and_refuse_nesting() -> None:
    assert read_record("argv: python x.py\nid: 1\n")[0]["argv"] == ("python x.py",)
    assert read_record("argv: [python, 3]\nid: 1\n")[0]["argv"] == ("python", "3")
    assert read_record("argv: 0\nid: 1\n")[0]["argv"] == ()
    assert read_record("argv: [[a]]\nid: 1\n")[1] == [
        "record.yaml:1: argv: must be a list of arguments (e.g. [python, x.py])"
    ]


def test_a_flag_and_a_refused_null() -> None:
    values, problems = read_record("id: 1\ndone: yes please\nlimit:\n")
    assert values["done"] is False
    assert problems == [
        "record.yaml:2: done: must be true or false, not str (true or false)",
        "record.yaml:3: limit: must not be empty (remove it)",
    ]


SETTINGS = Fields(
    (
        Field("depth", Whole(1, message="must be >= 1, not {value!r}", fix="")),
        Field("mode", Choice(("fast", "slow"))),
    ),
    "see the README",
    unknown="unknown key",
    unknown_fix="known keys: {listed}",
    suggest=True,
    extensions=True,
    in_file_order=True,
)


def test_a_mapping_in_file_order_reports_its_keys_as_the_file_has_them() -> None:
    reader = Reader(
        parse_document("---\nmode: slower\ncolour: red\ndepht: 2\nx-ours: 1\ndepth: 0\n---\n"),
        "s.yaml",
    )
    assert SETTINGS.read(reader, "", reader.data) == {"mode": None, "depth": None}
    assert [str(problem) for problem in reader.problems] == [
        "s.yaml:2: mode: 'slower' is not allowed (use one of: fast, slow)",
        "s.yaml:3: colour: unknown key (known keys: depth, mode)",
        "s.yaml:4: depht: unknown key (did you mean 'depth'?)",
        "s.yaml:6: depth: must be >= 1, not 0",
    ]


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (Number(minimum=0), -1, "-1 is negative (use a number >= 0)"),
        (Number(minimum=0), True, "True is not a number (write a number, e.g. 0.42)"),
        (
            Number(above=0, at_most=0.5, message="{value!r} is not allowed", fix="(0, 0.5]"),
            0.7,
            "0.7 is not allowed ((0, 0.5])",
        ),
        (
            CommandLine(),
            "python 'unclosed",
            "cannot be split into arguments (No closing quotation) "
            "(e.g. 'python train.py --epochs 3' or [python, train.py])",
        ),
        (
            CommandLine(),
            ["python", ""],
            "must be a command line or a list of arguments, not ['python', ''] "
            "(e.g. 'python train.py --epochs 3' or [python, train.py])",
        ),
        (
            Names("e.g. [a]", message="must be names, not {kind}"),
            " ",
            "must be names, not a list (e.g. [a])",
        ),
        (Date(), "2026-13-01", "'2026-13-01' is not a date (write it as YYYY-MM-DD)"),
        (Choice(("a", "b")), "c", "'c' is not allowed (use one of: a, b)"),
        (
            Whole(1, 5, message="{value!r} is out of range", fix="1..5"),
            6,
            "6 is out of range (1..5)",
        ),
        (Text("say it"), "  ", "must be non-empty text, not '  ' (say it)"),
    ],
)
def test_a_scalar_kind_names_the_problem_of_its_value_in_a_field_and_in_a_list(
    kind: Kind, value: Any, expected: str
) -> None:
    """A field reads a scalar without building its key; the problem is the one the kind
    gives when read on its own, as the items of a list are."""
    in_field = Reader(YamlFile({"x": value}, ""), "f.yaml")
    assert in_field.read((Field("x", kind),)) == {"x": None}
    on_its_own = Reader(YamlFile({}, ""), "f.yaml")
    kind.read(on_its_own, "x", value)
    shown = [str(problem) for problem in (*in_field.problems, *on_its_own.problems)]
    assert shown == [f"f.yaml:1: x: {expected}"] * 2
