"""The research programme: problem statements, their success metrics, and plans serving them (pure).

A problem statement (`research/problem.qmd`, or `research/problems/<slug>.qmd` when a
team runs several programmes) says why the work matters and which measurable success
metrics count. Like a plan it is a draft while being written; once `agreed` every section
must be written. Plans name the metrics they move in `serves:`.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from researchflow.base import TYPE_CHECKING
from researchflow.base.frozen import frozen
from researchflow.base.names import PROBLEM_FILE, PROBLEMS_DIR
from researchflow.base.problems import Problem
from researchflow.documents.document import Document, DocumentError, parse_document
from researchflow.documents.kinds import (
    Choice,
    Custom,
    Each,
    Fields,
    Number,
    Pattern,
    Text,
)
from researchflow.documents.plan import METRIC_KEY, QUARTO_KEYS
from researchflow.documents.schema import (
    MISSING,
    PLACEHOLDER,
    PLACEHOLDER_MESSAGE,
    Field,
    Reader,
    blanked,
    placeholder_fields,
    placeholder_line,
)

if TYPE_CHECKING:
    from typing import Any

PROBLEM_STATUSES = ("draft", "agreed")
METRIC_KINDS = ("model", "business", "online")
METRIC_DIRECTIONS = ("increase", "decrease")
# What a team answers before building a model: a draft may leave them open (null), an
# agreed statement may not.
QUESTIONS = (
    ("ml_needed", "is ML needed at all, or would a rule or a report do?"),
    ("cost_of_error", "what does a wrong prediction cost, each way?"),
    ("current_process", "how is it done today, and by whom?"),
    ("result_format", "in what form is the result used (a score in the CRM, a report)?"),
    ("expected_return", "what is the work expected to return, and at what cost?"),
    ("deadline", "by when is the result needed?"),
    ("stakeholders", "who decides, who uses the result, who must be told?"),
)
QUESTION_KEYS = tuple(key for key, _ in QUESTIONS)
PROBLEM_KEYS = ("title", "status", "owner", "metrics", "format", *QUESTION_KEYS)
METRIC_FIELDS = ("name", "kind", "target", "direction", "unit")
# The sections of a problem statement, each with the question it answers
PROBLEM_SECTIONS = (
    ("Business goal", "why this matters to the business, e.g. raise retention by 10 %"),
    ("Problem", "which concrete problem is solved, e.g. churn is 25 % today"),
    ("Success metrics", "which measurable results count: model quality and business effect"),
    ("Data", "which data, e.g. three years of CRM data"),
    ("Technical requirements", "e.g. prediction time <= 1 s per customer"),
    ("Boundaries", "scope, resources, regulation, e.g. active subscribers only"),
    ("Risks", "what could make the programme fail, e.g. label noise"),
)
# statuses from which a plan must say which success metrics it serves
SERVES_FROM = ("review", "approved", "running", "hold", "reported", "concluded")


@frozen
class Metric:
    name: str
    kind: str  # model | business | online
    target: float
    direction: str  # increase | decrease
    unit: str = ""


@frozen
class ProblemStatement:
    path: str  # research/problem.qmd
    slug: str  # "problem" for research/problem.qmd, else the file's stem
    title: str
    status: str
    owner: str
    metrics: tuple[Metric, ...]

    def metric(self, name: str) -> Metric | None:
        return next((m for m in self.metrics if m.name == name), None)


@frozen
class ProblemResult:
    statement: ProblemStatement | None
    problems: tuple[Problem, ...]


def is_problem_path(path: str, research_dir: str) -> bool:
    """research/problem.qmd or research/problems/<slug>.qmd (relative, POSIX)."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    research = PurePosixPath(research_dir.strip("/")).parts
    rest = parts[len(research) :] if parts[: len(research)] == research else None
    if rest is None:
        return False
    return rest == (PROBLEM_FILE,) or (
        len(rest) == 2 and rest[0] == PROBLEMS_DIR and rest[1].endswith(".qmd")
    )


def slug_of(path: str) -> str:
    name = PurePosixPath(path.replace("\\", "/")).name
    return name[: -len(".qmd")] if name.endswith(".qmd") else name


def read_problem(raw: bytes | str, path: str) -> ProblemResult:
    """Parse and validate one problem statement, collecting every problem."""
    try:
        document = parse_document(raw)
    except DocumentError as error:
        return ProblemResult(
            None, (Problem(path, error.line, error.field, error.message, error.fix),)
        )
    reader = Reader(document, path)
    reader.unknown(reader.data, PROBLEM_KEYS, also=QUARTO_KEYS)
    values = reader.read(PROBLEM_FIELDS)
    if values["status"] == "agreed":
        _agreed(reader, values["metrics"])
    if any(value is None for value in values.values()):
        return ProblemResult(None, tuple(reader.problems))
    statement = ProblemStatement(path, slug_of(path), **values)
    return ProblemResult(statement, tuple(reader.problems))


METRICS_EXAMPLE = (
    "e.g. metrics: [{name: retention_30d, kind: business, target: 10, "
    "direction: increase, unit: '%'}]"
)


def _unit(reader: Reader, key: str, value: Any) -> Any:
    if not isinstance(value, str | int | float):
        reader.add(key, f"{value!r} is not a unit", "e.g. unit: '%'")
        return MISSING
    return str(value or "")


def _metric(_reader: Reader, _key: str, values: dict[str, Any]) -> Metric:
    name, kind, target, direction = (values[k] for k in ("name", "kind", "target", "direction"))
    return Metric(name.strip(), kind, target, direction, values["unit"])


KINDS_FIX = f"use one of: {', '.join(METRIC_KINDS)}"
DIRECTIONS_FIX = f"use one of: {', '.join(METRIC_DIRECTIONS)}"
METRIC = Fields(
    (
        Field(
            "name",
            Pattern(
                METRIC_KEY, "{value!r} is not a metric name", "e.g. retention_30d", blank=False
            ),
            "e.g. retention_30d",
            required=True,
            missing="None is not a metric name",
            unique=("{value!r} is listed twice", "keep one entry per metric"),
        ),
        Field(
            "kind", Choice(METRIC_KINDS), KINDS_FIX, required=True, missing="None is not allowed"
        ),
        Field(
            "target",
            Number(fix="e.g. target: 0.9"),
            "e.g. target: 0.9",
            required=True,
            missing="None is not a number",
        ),
        Field(
            "direction",
            Choice(METRIC_DIRECTIONS),
            DIRECTIONS_FIX,
            required=True,
            missing="None is not allowed",
        ),
        Field("unit", Custom(_unit), default=""),
    ),
    METRICS_EXAMPLE,
    build=_metric,
    unknown_fix=None,
    suggest=True,  # a near miss, else the `x-` escape a team's own field takes
    extensions=True,
    whole=True,  # a metric with a problem is not made
)
METRICS = Each(METRIC, message="must be a list of success metrics", fix=METRICS_EXAMPLE)


PROBLEM_FIELDS = (
    Field(
        "title",
        Text("add a one-line title for the programme"),
        "add a one-line title for the programme",
        required=True,
    ),
    Field(
        "owner",
        Text("name who owns the programme, e.g. owner: alice"),
        "name who owns the programme, e.g. owner: alice",
        required=True,
    ),
    Field(
        "status",
        Choice(PROBLEM_STATUSES),
        f"use one of: {', '.join(PROBLEM_STATUSES)}",
        required=True,
    ),
    Field("metrics", METRICS, METRICS_EXAMPLE, required=True),
)


def _agreed(reader: Reader, metrics: tuple[Metric, ...] | None) -> None:
    """An agreed statement is finished: metrics named, every section written."""
    if metrics is not None and not metrics:
        reader.add(
            "metrics",
            "an agreed problem statement names no success metric",
            "add at least one metric, or set status: draft",
        )
    placeholder_fields(reader, ("title", "owner"), "replace the TODO text, or set status: draft")
    items = reader.data.get("metrics")
    for index, item in enumerate(items if isinstance(items, list) else []):
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str) and "TODO" in name:
            reader.add(
                f"metrics[{index}].name",
                PLACEHOLDER_MESSAGE,
                "name the metric, or set status: draft",
            )
    for key, question in QUESTIONS:
        answer = reader.data.get(key)
        if isinstance(answer, list):
            answer = ", ".join(str(item) for item in answer)
        text = "" if answer is None else str(answer).strip()
        if not text or PLACEHOLDER.search(text):
            reader.add(
                key,
                "an agreed problem statement answers it" + (" (still TODO)" if text else ""),
                f"answer: {question} (or set status: draft)",
                None if key in reader.data else 1,
            )
    for title, _hint in PROBLEM_SECTIONS:
        section = reader.document.section(title)
        label = f"## {title}"
        if section is None:
            reader.add(
                label, "required section is missing", f"add '{label}'", reader.document.body_start
            )
            continue
        body = blanked(section.body)
        if not body.strip():
            reader.add(
                label, "section is empty", "write the section, or set status: draft", section.line
            )
            continue
        line = placeholder_line(section, body)
        if line is not None:
            reader.add(
                label, PLACEHOLDER_MESSAGE, "replace the TODO text, or set status: draft", line
            )


# --- plans serving the programme ---------------------------------------------------------


def serves_problems(
    front_matter: dict[str, Any],
    document: Document,
    path: str,
    statements: tuple[ProblemStatement, ...],
) -> list[Problem]:
    """From review on a plan names the success metrics it serves, and each must exist.

    A repository without a problem statement has no programme to serve, and one whose
    statements are all drafts has no agreed success metrics yet: `serves` is required
    once a statement is agreed (`rflow init` writes a draft).
    """
    if not statements or front_matter.get("status") not in SERVES_FROM:
        return []
    known = metric_names(statements)
    serves = front_matter.get("serves")
    if isinstance(serves, str):
        serves = [serves]
    choices = ", ".join(sorted(known)) or "none agreed yet"
    agreed = any(statement.status == "agreed" for statement in statements)
    if not serves and agreed:
        return [
            Problem(
                path,
                document.line_of("serves") if "serves" in front_matter else 1,
                "serves",
                "a plan in review must name the success metrics it serves",
                f"add e.g. 'serves: [{next(iter(sorted(known)), 'metric')}]' (known: {choices})",
            )
        ]
    if not isinstance(serves, list):
        return []  # none named (a draft programme), or a wrong type the plan reports
    problems: list[Problem] = []
    for index, name in enumerate(serves):
        if isinstance(name, str) and name.strip() not in known:
            problems.append(
                Problem(
                    path,
                    document.line_of(f"serves[{index}]"),
                    f"serves[{index}]",
                    f"{name!r} is not a success metric of any problem statement",
                    f"use one of: {choices}",
                )
            )
    return problems


def draft_served(
    serves: tuple[str, ...], statements: tuple[ProblemStatement, ...]
) -> ProblemStatement | None:
    """The draft problem statement a plan would be approved against: one holding a metric
    the plan serves, or, when it serves none, the programme itself while no statement of
    it is agreed. None when the plan may be approved (or there is no programme at all)."""
    if serves:
        for statement in statements:
            if statement.status == "draft" and any(statement.metric(m) for m in serves):
                return statement
        return None
    if statements and not any(s.status == "agreed" for s in statements):
        return statements[0]
    return None


def metric_names(statements: tuple[ProblemStatement, ...]) -> set[str]:
    return {metric.name for statement in statements for metric in statement.metrics}


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def problem_path(research_dir: str, slug: str | None) -> str:
    """research/problem.qmd, or research/problems/<slug>.qmd for a further programme."""
    base = research_dir.strip("/")
    if slug is None:
        return f"{base}/{PROBLEM_FILE}"
    if not _SLUG.match(slug):
        raise ValueError(f"{slug!r} is not a slug (lowercase letters, digits and '-')")
    return f"{base}/{PROBLEMS_DIR}/{slug}.qmd"
