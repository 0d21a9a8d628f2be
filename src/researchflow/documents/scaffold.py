"""A new hypothesis's plan from the template, and the draft merge request's text (pure).

The template is a valid draft plan whose front-matter values are defaults. Rendering
replaces whole top-level fields (title, id, created, roles, rice, status) with values
dumped by YAML itself, so user text is always quoted correctly; every other line of the
template, comments and body included, is kept byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen
from researchflow.documents.document import DocumentError, parse_document
from researchflow.documents.plan import RICE_FACTORS
from researchflow.documents.schema import PLACEHOLDER

_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")


class TemplateError(ValueError):
    """The template cannot be turned into a plan; the message says why."""


@frozen
class Scaffold:
    """What the user asked for; the template supplies everything else."""

    hypothesis_id: str
    title: str
    created: dt.date
    author: str
    designer: str | None = None
    executor: str | None = None
    reviewers: tuple[str, ...] = ()
    rice: tuple[int, int, int, int] | None = None  # None: the template's default
    serves: tuple[
        str, ...
    ] = ()  # success metrics of the problem statement; () keeps the template's


def parse_rice(text: str) -> tuple[int, int, int, int]:
    """`"3,3,2,3"` → (reach, impact, confidence, effort), each a whole number 1..5."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 4 or not all(re.fullmatch(r"[1-5]", part) for part in parts):
        raise ValueError(f"{text!r} is not four whole numbers 1..5")
    reach, impact, confidence, effort = (int(part) for part in parts)
    return reach, impact, confidence, effort


def rice_option(text: str) -> tuple[int, int, int, int]:
    """`parse_rice` for the `--rice` option: a bad value is the user's error."""
    try:
        return parse_rice(text)
    except ValueError as error:
        raise UserError(f"--rice: {error} (reach,impact,confidence,effort, e.g. 3,3,2,3)") from None


def render_plan(template: str, scaffold: Scaffold) -> str:
    """The template with title, id, created, roles, rice and status set; body kept."""
    try:
        document = parse_document(template)
    except DocumentError as error:
        raise TemplateError(f"line {error.line}: {error.message} ({error.fix})") from None
    defaults = document.front_matter
    roles = dict(defaults.get("roles") or {}) if isinstance(defaults.get("roles"), dict) else {}
    roles["author"] = scaffold.author
    for role, value in (("designer", scaffold.designer), ("executor", scaffold.executor)):
        if value is not None:
            roles[role] = value
    if scaffold.reviewers:
        roles["reviewers"] = list(scaffold.reviewers)
    values: dict[str, Any] = {
        "title": scaffold.title,
        "id": scaffold.hypothesis_id,
        "status": "draft",
        "created": scaffold.created,
        "roles": roles,
    }
    if scaffold.rice is not None:
        values["rice"] = dict(zip(RICE_FACTORS, scaffold.rice, strict=True))
    if scaffold.serves:
        values["serves"] = list(scaffold.serves)
    lines = template.replace("\r\n", "\n").split("\n")
    end = document.body_start - 2  # index of the closing '---'
    head = _set_fields(lines[1:end], values)
    return "\n".join([lines[0], *head, *lines[end:]])


def _set_fields(lines: list[str], values: Mapping[str, Any]) -> list[str]:
    """Replace each named top-level field's block (key line and its continuation lines)."""
    result: list[str] = []
    pending = dict(values)
    index = 0
    while index < len(lines):
        match = _TOP_LEVEL_KEY.match(lines[index])
        if match is None or match.group(1) not in pending:
            result.append(lines[index])
            index += 1
            continue
        key = match.group(1)
        stop = index + 1
        while stop < len(lines) and _continues(lines[stop]):
            stop += 1
        while stop > index + 1 and not lines[stop - 1].strip():  # keep trailing blank lines
            stop -= 1
        result.append(_field_line(key, pending.pop(key)))
        index = stop
    result.extend(_field_line(key, value) for key, value in pending.items())
    return result


def _continues(line: str) -> bool:
    """A line belonging to the field above: indented, blank, or a column-0 list item."""
    return not line or line[0] in " \t" or line == "-" or line.startswith("- ")


def _field_line(key: str, value: Any) -> str:
    if key == "title":
        # always double-quoted, as people write titles by hand: ':' and '#' stay text
        dumped = yaml.safe_dump(value, default_style='"', allow_unicode=True, width=1 << 16)
    else:
        dumped = yaml.safe_dump(
            value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=1 << 16
        )
    dumped = dumped.strip()
    if dumped.endswith("\n..."):
        dumped = dumped[:-4].strip()
    if isinstance(value, dt.date):
        dumped = value.isoformat()
    return f"{key}: {dumped}"


def merge_request_title(hypothesis_id: str, title: str) -> str:
    """`Draft:` first, so GitLab older than 15.0 (no draft push option) still drafts it."""
    return f"Draft: {hypothesis_id} {title}"


REVIEW_CHECKLIST = (
    "The hypothesis is one falsifiable sentence, and the Predictions section says what "
    "result would refute it",
    "Each prediction names the MLflow metric, a justified baseline, the direction, the "
    "minimum effect and the rerun tolerance",
    "The data the experiment depends on is listed under `data` and tracked by DVC",
    "The experiment design covers data extraction, feature engineering, statistical "
    "evaluation, modelling and model evaluation",
    "Designer, executor and at least one reviewer are named (the executor is not the "
    "author, or `roles.reason` says why)",
    "Risks and the timebox are realistic",
)


def merge_request_description(
    *,
    hypothesis_id: str,
    title: str,
    plan_path: str,
    author: str,
    reviewers: Sequence[str] = (),
    rice: Mapping[str, int] | None = None,
    hypothesis: str | None = None,
) -> str:
    """Markdown: what the hypothesis is, where its plan lives, and what a reviewer checks."""
    lines = [f"**{hypothesis_id}: {title}**", ""]
    if hypothesis and not PLACEHOLDER.search(hypothesis):
        lines += [f"> {hypothesis}", ""]
    lines.append(f"- Plan: `{plan_path}`")
    lines.append(f"- Author: {author}")
    if reviewers:
        lines.append(f"- Reviewers: {', '.join(reviewers)}")
    if rice and all(isinstance(rice.get(f), int) for f in RICE_FACTORS):
        factors = " × ".join(str(rice[f]) for f in RICE_FACTORS)
        score = rice["reach"] * rice["impact"] * rice["confidence"] * rice["effort"]
        lines.append(f"- RICE: {factors} = {score}")
    lines += ["", "Review checklist (the plan is registered before any run):", ""]
    lines += [f"- [ ] {item}" for item in REVIEW_CHECKLIST]
    lines += ["", f"Approve with `rflow approve {hypothesis_id}` once every box is ticked."]
    return "\n".join(lines)
