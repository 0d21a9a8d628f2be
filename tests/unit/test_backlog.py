"""The backlog file: ideas round-trip, and a hand edit gone wrong is one clear line."""

from __future__ import annotations

import datetime as dt

import pytest

from researchflow.documents.plan import Rice
from researchflow.process.backlog import BacklogError, Idea, parse_backlog, render_backlog

IDEAS = [
    Idea("H-012", 'Graded: target "x" #1', Rice(3, 3, 2, 3), "alice", dt.date(2026, 12, 1)),
    Idea("H-013", "Другая идея", Rice(1, 2, 3, 4), "bob", dt.date(2026, 12, 2), ("retention",)),
]


def test_ideas_round_trip_through_the_file() -> None:
    text = render_backlog(IDEAS)
    assert text.startswith("# The backlog")
    assert parse_backlog(text) == IDEAS
    assert IDEAS[0].score == 54


def test_no_file_and_an_empty_file_are_an_empty_backlog() -> None:
    assert parse_backlog(None) == []
    assert parse_backlog(render_backlog([])) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("idea: []\n", "research/backlog.yaml:1: idea: unknown key (did you mean 'ideas'?)"),
        ("ideas:\n  - {id: H-1}\n", "research/backlog.yaml:2: ideas[0].id: 'H-1' is not"),
        (
            "ideas:\n  - {id: H-001, title: t, author: a, created: 2026-01-01, rice: 3}\n",
            "research/backlog.yaml:2: ideas[0].rice: 3 is not a RICE score",
        ),
        (
            "ideas:\n  - {id: H-001, title: t, author: a, created: 2026-01-01, "
            "rice: {reach: 1, impact: 1, confidence: 1, effort: 1}, scor: 2}\n",
            "research/backlog.yaml:2: ideas[0].scor: unknown field",
        ),
        ("ideas: {}\n", "research/backlog.yaml:1: ideas: must be a list"),
    ],
)
def test_broken_backlog_is_one_line_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(BacklogError) as caught:
        parse_backlog(text)
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_id_listed_twice_is_refused() -> None:
    text = render_backlog([IDEAS[0], IDEAS[0]])
    with pytest.raises(BacklogError, match="H-012 is listed twice"):
        parse_backlog(text)
