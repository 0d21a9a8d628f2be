"""Hypothesis IDs are `H-` and three or more ASCII digits, nothing after (issue 21)."""

from __future__ import annotations

import pytest

from researchflow.base.names import id_from_name, is_valid_id


@pytest.mark.parametrize("value", ["H-001", "H-1234"])
def test_an_id_of_ascii_digits_is_valid(value: str) -> None:
    assert is_valid_id(value)


@pytest.mark.parametrize(
    "value",
    ["H-００１", "H-٠٠١", "H-01", "H-001\n", "h-001", "H-001-x", "H-0x1"],
    ids=["fullwidth", "arabic-indic", "two-digits", "newline", "lowercase", "slug", "hex"],
)
def test_anything_else_is_not_an_id(value: str) -> None:
    assert not is_valid_id(value)


def test_a_folder_with_fullwidth_digits_holds_no_id() -> None:
    assert id_from_name("H-００１-graded") is None
    assert id_from_name("H-001-graded") == "H-001"
