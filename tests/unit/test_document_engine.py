"""The document engine: a document type is a list of field declarations, and the engine
turns them into values and `path:line: field: problem (fix)` lines."""

from __future__ import annotations

from typing import Any

from fixtures.problems import problem_text

from researchflow.documents.document import parse_document
from researchflow.documents.programme import read_problem
from researchflow.documents.schema import (
    Choice,
    Date,
    Field,
    Fields,
    Names,
    Reader,
    Text,
    Whole,
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
