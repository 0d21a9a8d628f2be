"""Slugs, titles, branch names and ID allocation: pure, table-driven, hostile inputs."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from researchflow.base.names import (
    SLUG_FALLBACK,
    branch_name,
    branch_problem,
    clean_title,
    id_from_branch,
    next_id,
    slugify,
)

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Graded target improves recall", "graded-target-improves-recall"),
        ("Градуированная цель", "graduirovannaya-tsel"),
        ("Щука и ёж съели юлу", "shchuka-i-ezh-seli-yulu"),
        ("Ґудзик, їжак і євро", "gudzik-yizhak-i-yevro"),
        ("Éléphant café naïve", "elephant-cafe-naive"),
        ("recall@10 > 0.42?", "recall-10-0-42"),
        ("$(touch pwned); rm -rf /", "touch-pwned-rm-rf"),
        ("../../etc/passwd", "etc-passwd"),
        ("\"quoted\" and 'single'", "quoted-and-single"),
        ("two\nlines\r\nand\ttabs", "two-lines-and-tabs"),
        ("!!! ??? ...", SLUG_FALLBACK),
        ("", SLUG_FALLBACK),
        ("日本語のタイトル", SLUG_FALLBACK),
    ],
)
def test_slug_is_lowercase_ascii_words(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_long_title_is_cut_at_a_word_within_forty_characters() -> None:
    slug = slugify("Training on a graded target raises recall at ten on next week responses")
    assert slug == "training-on-a-graded-target-raises"
    assert len(slug) <= 40


def test_one_long_word_is_cut_hard_at_forty() -> None:
    assert slugify("a" * 100) == "a" * 40


@given(st.text())
def test_any_title_gives_a_safe_non_empty_slug(title: str) -> None:
    slug = slugify(title)
    assert SLUG.match(slug), slug
    assert len(slug) <= 40


@given(st.text())
def test_any_title_gives_a_valid_branch_name(title: str) -> None:
    assert branch_problem(branch_name("hyp/", "H-001", slugify(title))) is None


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Graded   target ", "Graded target"),
        ("first line\nsecond line", "first line second line"),
        ("bell\x07 and nul\x00 gone", "bell and nul gone"),
        ("Гипотеза $(touch pwned)", "Гипотеза $(touch pwned)"),
        ("\n\t ", ""),
    ],
)
def test_title_becomes_one_clean_line(raw: str, clean: str) -> None:
    assert clean_title(raw) == clean


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("hyp/H-001-graded", True),
        ("research/hyp/H-001-x", True),
        ("hyp//H-001-x", False),
        ("hyp/../H-001-x", False),
        ("/hyp/H-001", False),
        ("hyp/.hidden/H-001", False),
        ("hyp/H-001.lock", False),
        ("hyp H-001", False),
        ("hyp/H-001@{1}", False),
        ("-hyp/H-001", False),
    ],
)
def test_branch_names_git_would_refuse_are_caught(name: str, ok: bool) -> None:
    assert (branch_problem(name) is None) is ok


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], "H-001"),
        (["main", "develop"], "H-001"),
        (["hyp/H-001-a", "hyp/H-007-b"], "H-008"),
        (["origin/hyp/H-012-remote"], "H-013"),
        (["H-020-folder", "hyp/H-003-x"], "H-021"),
        (["refs/rflow/ids/H-030"], "H-031"),
        (["hyp/H-999-last"], "H-1000"),
        (["hyp/H-01-too-short", "hyp/X-100"], "H-001"),
    ],
)
def test_next_id_is_one_more_than_any_id_seen(names: list[str], expected: str) -> None:
    assert next_id(names) == expected


def test_next_id_skips_ids_taken_in_a_lost_race() -> None:
    assert next_id(["hyp/H-004-a"], taken={"H-005", "H-006"}) == "H-007"


@pytest.mark.parametrize(
    ("prefix", "branch", "expected"),
    [
        ("hyp/", "hyp/H-007-graded-target", "H-007"),
        ("hyp/", "hyp/H-1234-x", "H-1234"),
        ("hyp/", "main", None),
        ("hyp/", "hyp/not-an-id", None),
        ("research/", "hyp/H-007-x", None),
        ("hyp/", None, None),
    ],
)
def test_the_hypothesis_of_a_branch(prefix: str, branch: str | None, expected) -> None:
    assert id_from_branch(prefix, branch) == expected
