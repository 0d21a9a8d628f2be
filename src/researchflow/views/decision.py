"""A report's ship decision as the portfolio shows it (pure): `decision`,
`decision_reason`, and after shipping the `shipped` result and plan B."""

from __future__ import annotations

from researchflow.base import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

NO_DECISION: tuple[str | None, ...] = (None, None, None, None)


def read_decision(raw: bytes | None) -> tuple[str | None, ...]:
    """The report's `decision`, `decision_reason`, and after shipping the `shipped` result
    and plan B; all None when unreadable."""
    if raw is None:
        return NO_DECISION
    from researchflow.documents.document import DocumentError, parse_document

    try:
        fm = parse_document(raw).front_matter
    except (DocumentError, ValueError, TypeError, RecursionError):
        return NO_DECISION
    decision, reason = fm.get("decision"), fm.get("decision_reason")
    found = fm.get("shipped")
    shipped: dict[str, Any] = found if isinstance(found, dict) else {}
    return (
        decision if decision in ("ship", "iterate", "stop") else None,
        _line(reason),
        _line(shipped.get("result")),
        _line(shipped.get("plan_b")),
    )


def _line(value: Any) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) else None
