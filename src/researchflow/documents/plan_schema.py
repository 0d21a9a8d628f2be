"""The plan's fields, declared for the document engine (documents/schema.py), and the
readers for what only a plan has: its roles, predictions, data paths and history entries.

A new plan field is one `Field` in PLAN_FIELDS (and, when the Plan carries it, one
attribute in plan.py); the order here is the order problems are reported in.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePosixPath

from researchflow.base import TYPE_CHECKING
from researchflow.base.names import is_valid_id
from researchflow.documents.kinds import (
    Choice,
    CommandLine,
    Custom,
    Date,
    Each,
    Entries,
    Fields,
    Flag,
    Names,
    Number,
    Pattern,
    Text,
    Whole,
    stripped_names,
)
from researchflow.documents.plan import (
    CITED_HYPOTHESIS,
    DIRECTIONS,
    LIFECYCLE_EVENTS,
    METRIC_KEY,
    OUTCOMES,
    RERUN_MATCHES,
    RICE_FACTORS,
    RUN_ID,
    STATUSES,
    VALIDATION_TYPES,
    Approval,
    Deviation,
    Evaluation,
    LifecycleEvent,
    Prediction,
    Rice,
    Roles,
    Validation,
    is_written,
)
from researchflow.documents.schema import (
    MISSING,
    PLACEHOLDER,
    Field,
    Reader,
)

if TYPE_CHECKING:
    from typing import Any

_SCALARS = (str, int, float)  # made once: isinstance's `str | int | float` builds a union


def _id(reader: Reader, key: str, value: Any) -> Any:
    if not is_valid_id(value):
        reader.add(key, f"{value!r} is not a hypothesis ID", "use H- and at least 3 digits")
        return MISSING
    return str(value)


def _roles(reader: Reader, key: str, roles: Any) -> Any:
    if not isinstance(roles, dict):
        reader.add(key, "must be a mapping", "e.g. {author: alice, reviewers: [dave]}")
        return MISSING
    if not ROLE_KEYS.issuperset(roles):
        for name in roles:
            if name not in ROLE_KEYS:
                reader.add(f"roles.{name}", "unknown role", f"use one of: {', '.join(ROLE_NAMES)}")
    people = reader.read(ROLE_FIELDS, roles, "roles.")
    author, designer, executor = people["author"], people["designer"], people["executor"]
    reviewers = roles.get("reviewers") or []
    if isinstance(reviewers, str):
        reviewers = [reviewers]
    names = stripped_names(reviewers) if isinstance(reviewers, list) else None
    if names is None:
        reader.add("roles.reviewers", "must be a list of names", "e.g. reviewers: [dave]")
        reviewers, names = [], ()
    if reader.data.get("status") in STATUSES and is_written(reader.data):
        for role, value in (("designer", designer), ("executor", executor)):
            if value is None:
                reader.add(f"roles.{role}", "missing", f"name the {role} before review")
        if not reviewers:
            reader.add("roles.reviewers", "no reviewer named", "add reviewers: [name]")
    if author and executor and author == executor and not people["reason"]:
        reader.add(
            "roles.executor",
            "the executor is also the author",
            "name another executor, or say why in roles.reason",
        )
    if author in reviewers:
        reader.add(
            "roles.reviewers", "the author cannot review their own plan", "name another reviewer"
        )
    if author is None:
        return MISSING
    return Roles(author, designer, executor, names, people["reason"])


ROLE_KEYS = frozenset({"author", "designer", "executor", "reviewers", "reason"})
ROLE_NAMES = tuple(sorted(ROLE_KEYS))


ROLE_FIELDS = (
    Field("author", Text("name the author"), "name the author", required=True),
    Field("designer", Text("name the designer")),
    Field("executor", Text("name the executor")),
    Field("reason", Text("say why")),
)


def _rice(_reader: Reader, _key: str, values: dict[str, Any]) -> Any:
    factors = tuple(map(values.__getitem__, RICE_FACTORS))
    return MISSING if None in factors else Rice(*factors)  # whole numbers, or None


RICE = Fields(
    [
        Field(
            factor,
            Whole(1, 5, message="{value!r} is out of range", fix="use a whole number 1..5"),
            f"add '{factor}: 1..5'",
            required=True,
        )
        for factor in RICE_FACTORS
    ],
    "e.g. {reach: 3, impact: 3, confidence: 2, effort: 3}",
    build=_rice,
    unknown="unknown factor",
    unknown_first=False,
)


def _prediction(_reader: Reader, _key: str, values: dict[str, Any]) -> Any:
    return Prediction(
        values["metric"],
        values["baseline"],
        values["direction"],
        values["min_effect"],
        values["tolerance"],
        values["withdrawn"] is True,
        values["baseline_source"],
    )


def _baseline_source(reader: Reader, key: str, value: Any) -> Any:
    """Where a baseline comes from: required from review on, so that no constant is
    untraceable. A run ID (32 hex), a hypothesis (H-007), or a citation in words."""
    text = " ".join(str(value).split()) if isinstance(value, _SCALARS) else ""
    if not text or ("TODO" in text and is_written(reader.data) and PLACEHOLDER.search(text)):
        reader.add(key, f"{value!r} names no source", SOURCE_FIX)
        return MISSING
    # (the length and prefix tests only spare the patterns' cost: the text has no newline)
    run_id = len(text) == 32 and RUN_ID.match(text)
    cited = text.startswith("H-") and CITED_HYPOTHESIS.match(text)
    if not (run_id or cited) and len(text.split()) < 2:
        reader.add(key, f"{text!r} is neither a run ID, a hypothesis nor a citation", SOURCE_FIX)
        return MISSING
    return text


SOURCE_FIX = (
    "name the MLflow run ID it was measured in, the hypothesis (H-003), or a "
    "citation, e.g. 'production dashboard, week 2026-45'"
)
NUMBER = Number()
POSITIVE = Number(minimum=0)
METRIC_FIX = "name the metric the run logs, e.g. recall_at_10"
PREDICTION_FIELDS = (
    Field(
        "metric",
        Pattern(METRIC_KEY, "{value!r} is not an MLflow metric key", METRIC_FIX),
        METRIC_FIX,
        required=True,
        missing="None is not an MLflow metric key",
        unique=("{value!r} is predicted twice", "merge the predictions"),
    ),
    Field("baseline", NUMBER, "add a number", required=True),
    Field(
        "direction",
        Choice(DIRECTIONS),
        f"use one of: {', '.join(DIRECTIONS)}",
        required=True,
        missing="None is not allowed",
    ),
    Field("min_effect", POSITIVE, "add a number", required=True),
    Field("tolerance", POSITIVE, "add a number", required=True),
    Field(
        "withdrawn",
        Flag("{value!r} is not true or false", "use true"),
        default=False,
        null_is_value=True,
    ),
    Field(
        "baseline_source",
        Custom(_baseline_source),
        SOURCE_FIX,
        required=lambda reader: is_written(reader.data),
        missing="missing: a baseline must say where it comes from",
    ),
)
PREDICTIONS_EXAMPLE = "add '- {metric: recall_at_10, baseline: 0.42, direction: increase, ...}'"
PREDICTIONS = Each(
    Fields(
        PREDICTION_FIELDS,
        "give metric, baseline, direction, min_effect, tolerance",
        build=_prediction,
        listed=(
            "metric",
            "baseline",
            "baseline_source",
            "direction",
            "min_effect",
            "tolerance",
            "withdrawn",
        ),
        unknown_first=False,
        whole=True,  # a prediction with a problem is not made
    ),
    message="needs at least one prediction",
    fix=PREDICTIONS_EXAMPLE,
    nonempty=True,
)


def _data(reader: Reader, key: str, items: Any) -> Any:
    if not isinstance(items, list):
        reader.add(key, "must be a list of DVC-tracked paths", "e.g. data: [data/responses.csv]")
        return MISSING
    paths: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, str) and "\\" not in item:
            parts = item.split("/")
            if "" not in parts and "." not in parts and ".." not in parts and item.strip():
                paths.append(item)  # already what PurePosixPath would make of it
                continue
        at = f"{key}[{index}]"
        if not isinstance(item, str) or not item.strip():
            reader.add(at, "must be a path", "e.g. data/responses.csv")
            continue
        posix = PurePosixPath(item.replace("\\", "/"))
        if posix.is_absolute() or ".." in posix.parts:
            reader.add(
                at, f"{item!r} leaves the repository", "use a path relative to the repository root"
            )
            continue
        paths.append(str(posix))
    return tuple(paths)


EXPLAINED = {
    "repeats": "runs per confirmatory experiment: a whole number >= 1",
    "alpha": "the significance level: a number between 0 and 0.5, e.g. 0.05",
    "baseline_command": "a command that measures the baseline under the same seeds",
    "rerun_match": f"how a rerun must agree: one of {', '.join(RERUN_MATCHES)}",
}


def _evaluation(reader: Reader, key: str, values: dict[str, Any]) -> Any:
    repeats, rerun_match, baseline = (
        values["repeats"],
        values["rerun_match"],
        values["baseline_command"],
    )
    planned = repeats if repeats is not None else 1
    if rerun_match == "interval" and planned < 2:
        reader.warn(
            f"{key}.rerun_match",
            "'interval' needs an interval, and one run has none",
            "register repeats: 2 or more, or use rerun_match: tolerance",
        )
    if baseline and planned < 2:
        reader.warn(
            f"{key}.baseline_command",
            "a paired comparison with one run has no spread to judge it by",
            "register repeats: 2 or more (each seed runs both commands)",
        )
    alpha = values["alpha"]
    return Evaluation(
        repeats=planned,
        alpha=alpha if alpha is not None else 0.05,
        baseline_command=baseline,
        rerun_match=rerun_match or "tolerance",
        repeats_registered=repeats is not None,
    )


NOT_ALLOWED = "{value!r} is not allowed"
EVALUATION = Fields(
    [
        Field("repeats", Whole(1, message=NOT_ALLOWED, fix=EXPLAINED["repeats"])),
        Field("alpha", Number(above=0, at_most=0.5, message=NOT_ALLOWED, fix=EXPLAINED["alpha"])),
        Field("rerun_match", Choice(RERUN_MATCHES, fix=EXPLAINED["rerun_match"])),
        Field("baseline_command", CommandLine(), default=()),
    ],
    "e.g. evaluation: {repeats: 5, alpha: 0.05}",
    build=_evaluation,
    listed=tuple(EXPLAINED),
)


def _validation(reader: Reader, key: str, value: Any) -> Any:
    example = (
        "e.g. validation: {type: ab_test, period_days: 14, traffic_percent: 10, "
        "control: current model, business_metric: retention_30d}"
    )
    if not isinstance(value, dict):
        reader.add(key, "must be a mapping", example)
        return MISSING
    fields = ("type", "period_days", "traffic_percent", "control", "business_metric")
    reader.unknown(
        value, fields, prefix=f"{key}.", message="unknown field", fix=f"use {', '.join(fields)}"
    )
    kind = value.get("type")
    if kind not in VALIDATION_TYPES:
        reader.add(
            f"{key}.type", f"{kind!r} is not allowed", f"use one of: {', '.join(VALIDATION_TYPES)}"
        )
        return MISSING
    read = reader.read(VALIDATION_FIELDS, value, f"{key}.")
    control, metric = value.get("control"), value.get("business_metric")
    return Validation(
        kind,
        read["period_days"],
        read["traffic_percent"],
        str(control) if control is not None else None,
        str(metric) if metric is not None else None,
    )


VALIDATION_FIELDS = (
    Field("period_days", Whole(1, message=NOT_ALLOWED, fix="whole days, e.g. 14")),
    Field(
        "traffic_percent",
        Number(above=0, at_most=100, message=NOT_ALLOWED, fix="a number in (0, 100]"),
    ),
)
STAMPED = ("by", "at", "digest")
_STAMPS = (str, dt.date, dt.datetime)  # what a stamp's values may be (made once)


def _stamped(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    by, at, digest = item.get("by"), item.get("at"), item.get("digest")  # STAMPED, unrolled
    return isinstance(by, _STAMPS) and isinstance(at, _STAMPS) and isinstance(digest, _STAMPS)


def _approval(reader: Reader, key: str, value: Any) -> Any:
    approval = _approval_entry(value)
    if approval is None:
        reader.add(key, "must be {by, at, digest}", "let `rflow approve` write it")
        return MISSING
    return approval


def _approval_entry(item: Any) -> Approval | None:
    return (
        Approval(str(item["by"]), str(item["at"]), str(item["digest"])) if _stamped(item) else None
    )


def _deviation(item: Any) -> Deviation | None:
    if not isinstance(item, dict) or not isinstance(item.get("reason"), str):
        return None
    at, by, digest = str(item.get("at", "")), str(item.get("by", "")), str(item.get("digest", ""))
    return Deviation(at, by, item["reason"], digest)


def _optional_text(item: dict[str, Any], name: str) -> str | None:
    return str(item[name]) if item.get(name) is not None else None


def _lifecycle_event(item: Any) -> LifecycleEvent | None:
    if (
        not isinstance(item, dict)
        or item.get("event") not in LIFECYCLE_EVENTS
        or not isinstance(item.get("at"), _STAMPS)
    ):
        return None
    days = item.get("days")
    return LifecycleEvent(
        event=item["event"],
        at=str(item["at"]),
        by=str(item.get("by") or ""),
        reason=_optional_text(item, "reason"),
        days=days if isinstance(days, int) and not isinstance(days, bool) else None,
        outcome=_optional_text(item, "outcome"),
        override=_optional_text(item, "override"),
        phase=_optional_text(item, "phase"),
    )


APPROVALS = Entries(_approval_entry, "must be {by, at, digest}", "let `rflow approve` write it")
DEVIATIONS = Entries(_deviation, "must be {at, by, reason, digest}", "let `rflow deviate` write it")
LIFECYCLE = Entries(
    _lifecycle_event,
    f"must be {{event, at, by, ...}} with event one of {', '.join(LIFECYCLE_EVENTS)}",
    "let rflow's lifecycle commands (start, hold, resume, extend, ...) write it",
)


def _format(reader: Reader, key: str, value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(next(iter(value))) if value else "html"  # its first format
    reader.add(key, "must be a Quarto format name", "e.g. 'format: html'")
    return MISSING


PLAN_FIELDS = (
    Field("id", Custom(_id), "add 'id: H-001' (H- and at least three digits)", required=True),
    Field("title", Text("add a one-line title"), "add a one-line title", required=True),
    Field("status", Choice(STATUSES), required=True),
    Field("outcome", Choice(OUTCOMES)),
    Field("created", Date(), "add 'created: YYYY-MM-DD'", required=True),
    Field(
        "roles",
        Custom(_roles),
        "add 'roles: {author: you, executor: ..., reviewers: [...]}'",
        required=True,
    ),
    Field(
        "rice",
        RICE,
        "add 'rice: {reach: 3, impact: 3, confidence: 3, effort: 3}'",
        required=True,
    ),
    Field(
        "hypothesis",
        Text("state the hypothesis in one falsifiable sentence"),
        "state the hypothesis in one falsifiable sentence",
        required=True,
    ),
    Field("predictions", PREDICTIONS, PREDICTIONS_EXAMPLE, required=True),
    Field("data", Custom(_data), default=()),
    Field(
        "timebox_days",
        Whole(1, message="{value!r} is not a positive whole number", fix="e.g. 5"),
    ),
    Field("conclusion", Text("write one line")),
    Field("approval", Custom(_approval)),
    Field("deviations", DEVIATIONS, default=()),
    Field("command", CommandLine(), default=()),
    Field("evaluation", EVALUATION, default=Evaluation()),
    Field("serves", Names("e.g. serves: [retention_30d]"), default=()),
    Field("validation", Custom(_validation)),
    Field("reapprovals", APPROVALS, default=()),
    Field("reviews", APPROVALS, default=()),
    Field("lifecycle", LIFECYCLE, default=()),
    Field("format", Custom(_format), default="html", null_is_value=True),
)
