"""Setting front-matter fields edits only their lines: comments and the body survive."""

from __future__ import annotations

from fixtures.plans import plan_text

from researchflow.documents.document import parse_document
from researchflow.documents.frontmatter import set_fields

COMMENTED = (
    plan_text()
    .replace("status: review", "status: review       # draft | review | approved")
    .replace("approval: null", "# the reviewer's part\napproval: null   # written by rflow approve")
)


def test_setting_a_mapping_keeps_comments_order_and_body() -> None:
    record = {"by": "dave", "at": "2026-11-23T10:00:00Z", "digest": "sha256:abc"}
    updated = set_fields(COMMENTED, {"status": "approved", "approval": record})
    document = parse_document(updated)
    assert document.front_matter["approval"] == record
    assert document.front_matter["status"] == "approved"
    assert "status: approved       # draft | review | approved" in updated
    assert "# the reviewer's part\napproval:   # written by rflow approve\n" in updated
    assert list(document.front_matter) == list(parse_document(COMMENTED).front_matter)
    assert updated.split("\n---\n", 1)[1] == COMMENTED.split("\n---\n", 1)[1]


def test_unchanged_lines_are_byte_for_byte_the_same() -> None:
    updated = set_fields(COMMENTED, {"status": "approved"})
    before = COMMENTED.splitlines()
    after = updated.splitlines()
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [3]


def test_absent_field_is_added_at_the_end_of_the_front_matter() -> None:
    updated = set_fields("---\ntitle: x\n---\nbody\n", {"primary_run": None})
    assert updated == "---\ntitle: x\nprimary_run: null\n---\nbody\n"


def test_values_are_written_as_safe_yaml() -> None:
    hostile = "x: y\n---\n# not a heading: {braces} & 'quotes'"
    updated = set_fields("---\ntitle: a\n---\n", {"title": hostile})
    document = parse_document(updated)
    assert document.front_matter == {"title": hostile}
    assert document.sections == ()  # the value's '---' and '#' lines did not leak out


def test_block_list_value_is_replaced_whole() -> None:
    text = "---\ndeviations:\n- at: a\n  reason: r\n\n# next\nformat: html\n---\n"
    updated = set_fields(text, {"deviations": [{"at": "a", "reason": "r"}, {"at": "b"}]})
    assert parse_document(updated).front_matter["deviations"] == [
        {"at": "a", "reason": "r"},
        {"at": "b"},
    ]
    assert "\n\n# next\nformat: html\n" in updated
