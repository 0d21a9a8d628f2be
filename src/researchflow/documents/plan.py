"""The plan model, its schema validation and the RICE score (pure).

Drafts are work in progress: their sections may still hold template text. From `review`
on, every required section must be written.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from researchflow.base.names import id_from_name, is_valid_id
from researchflow.base.problems import Problem
from researchflow.documents.config import SectionsConfig
from researchflow.documents.document import Document, DocumentError, Section, parse_document

STATUSES = (
    "draft",
    "review",
    "approved",
    "running",
    "hold",
    "reported",
    "concluded",
    "abandoned",
)
OUTCOMES = ("confirmed", "refuted", "inconclusive")
# what `rflow start/hold/resume/extend/signoff/conclude/abandon` append to `lifecycle:`
LIFECYCLE_EVENTS = ("start", "hold", "resume", "extend", "signoff", "phase", "conclude", "abandon")
PREDICTION_KEYS = frozenset(
    {"metric", "baseline", "baseline_source", "direction", "min_effect", "tolerance", "withdrawn"}
)
RUN_ID = re.compile(r"^[0-9a-f]{32}$")  # an MLflow run ID
CITED_HYPOTHESIS = re.compile(r"^H-[0-9]{3,}$")
RERUN_MATCHES = ("tolerance", "interval")  # how a rerun of a repeated experiment must agree
VALIDATION_TYPES = ("ab_test", "pilot")
# The plan's own front-matter keys; anything else is a typo unless it is a Quarto option
# or a team's own field with the documented `x-` prefix.
PLAN_KEYS = (
    "title",
    "id",
    "status",
    "outcome",
    "conclusion",
    "created",
    "roles",
    "rice",
    "serves",
    "hypothesis",
    "predictions",
    "data",
    "command",
    "evaluation",
    "validation",
    "timebox_days",
    "approval",
    "reapprovals",
    "reviews",
    "deviations",
    "lifecycle",
    "format",
)
QUARTO_KEYS = (
    "author",
    "date",
    "subtitle",
    "abstract",
    "description",
    "execute",
    "jupyter",
    "engine",
    "bibliography",
    "toc",
    "number-sections",
    "editor",
    "lang",
    "keywords",
    "categories",
    "params",
)
EXTENSION_PREFIX = "x-"
DIRECTIONS = ("increase", "decrease", "no_change")
RICE_FACTORS = ("reach", "impact", "confidence", "effort")
PLACEHOLDER = re.compile(r"\bTODO\b")
METRIC_KEY = re.compile(r"^[\w./ -]+$")  # MLflow's allowed metric-name characters
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# What a statistical evaluation step names when it says how evidence is weighed: the
# number of runs or the test (issue 12); a step without any of them earns a warning.
STATISTICS_WORDS = re.compile(
    r"\b(runs?|repeats?|repetitions?|seeds?|tests?|t-tests?|intervals?|bootstrap\w*|tost|"
    r"holm|bonferroni|p-values?|significan\w*|confiden\w*|alpha|n\s*=|samples?|"
    r"wilcoxon|mann-whitney|permutation|anova|equivalence|power)\b",
    re.IGNORECASE,
)
TEMPLATE_METRIC = re.compile(r"^todo(\b|_)", re.IGNORECASE)
# a path the design names as data: under data/, or a file with a data format's extension
DATA_PATH = re.compile(
    r"(?<![\w/.-])((?:data/[\w./-]*\w)|(?:[\w./-]+\.(?:csv|tsv|parquet|feather|arrow|jsonl|"
    r"json|xlsx|xls|pkl|pickle|npz|npy|h5|hdf5|avro|orc|zip|gz|sqlite|db)))(?![\w/-])"
)


@dataclass(frozen=True)
class Rice:
    reach: int
    impact: int
    confidence: int
    effort: int

    @property
    def score(self) -> int:
        return self.reach * self.impact * self.confidence * self.effort


@dataclass(frozen=True)
class Prediction:
    metric: str
    baseline: float
    direction: str
    min_effect: float
    tolerance: float
    withdrawn: bool = False  # withdrawn by a deviation: still shown and judged, never deleted
    baseline_source: str | None = None  # where the baseline comes from: run ID, H-NNN, citation


@dataclass(frozen=True)
class Roles:
    author: str
    designer: str | None = None
    executor: str | None = None
    reviewers: tuple[str, ...] = ()
    reason: str | None = None  # why a role rule is waived (shown by the report and board)


@dataclass(frozen=True)
class Approval:
    by: str
    at: str
    digest: str


@dataclass(frozen=True)
class Evaluation:
    """How confirmatory evidence is judged: registered with the plan (`evaluation:`)."""

    repeats: int = 1  # runs per confirmatory experiment
    alpha: float = 0.05  # 1 - alpha is the confidence of the interval
    baseline_command: tuple[str, ...] = ()  # measures the baseline under the same seeds
    rerun_match: str = "tolerance"  # a rerun's mean within tolerance, or within the interval
    repeats_registered: bool = False  # the plan wrote `repeats:` itself (n = 1 on purpose)


@dataclass(frozen=True)
class Validation:
    """The online check that follows a confirmed offline result (`validation:`)."""

    type: str  # ab_test | pilot
    period_days: int | None = None
    traffic_percent: float | None = None
    control: str | None = None
    business_metric: str | None = None


@dataclass(frozen=True)
class LifecycleEvent:
    """One entry of `lifecycle:`, appended by start, hold, resume, extend, conclude, abandon."""

    event: str
    at: str
    by: str
    reason: str | None = None
    days: int | None = None  # extend: the days added to the timebox
    outcome: str | None = None  # conclude
    override: str | None = None  # why a hard limit (WIP, timebox) was passed
    phase: str | None = None  # `rflow phase`: the lifecycle stage entered


@dataclass(frozen=True)
class Deviation:
    at: str
    by: str
    reason: str
    digest: str


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    status: str
    created: dt.date
    roles: Roles
    rice: Rice
    hypothesis: str
    predictions: tuple[Prediction, ...]
    data: tuple[str, ...] = ()
    timebox_days: int | None = None
    outcome: str | None = None
    conclusion: str | None = None
    approval: Approval | None = None
    deviations: tuple[Deviation, ...] = ()
    format: str = "html"
    sections: tuple[Section, ...] = field(default=(), repr=False)
    command: tuple[str, ...] = ()  # the registered entry point, as argv; () when not written
    evaluation: Evaluation = field(default_factory=Evaluation)
    serves: tuple[str, ...] = ()  # success metrics of a problem statement
    validation: Validation | None = None
    reapprovals: tuple[Approval, ...] = ()  # approvals of deviated content, in order
    reviews: tuple[Approval, ...] = ()  # team review: approvals before the last one needed
    lifecycle: tuple[LifecycleEvent, ...] = ()

    @property
    def score(self) -> int:
        return self.rice.score


@dataclass(frozen=True)
class PlanResult:
    plan: Plan | None
    problems: tuple[Problem, ...]
    document: Document | None = None
    warnings: tuple[Problem, ...] = ()  # advice that does not make the plan invalid


def rank_key(plan: Plan) -> tuple[int, int]:
    """Highest RICE first, ties broken by the lower ID."""
    return (-plan.score, int(plan.id[2:]))


def read_plan(
    raw: bytes | str, path: str, sections: SectionsConfig | None = None, *, strict: bool = False
) -> PlanResult:
    """Parse and validate one plan document, collecting every problem.

    `strict` applies the section rules to drafts too (`rflow check`: nothing merges with
    template text left in it).
    """
    try:
        document = parse_document(raw)
    except DocumentError as error:
        return PlanResult(None, (Problem(path, error.line, error.field, error.message, error.fix),))
    return validate_plan(document, path, sections or SectionsConfig(), strict=strict)


def validate_plan(
    document: Document, path: str, sections: SectionsConfig, *, strict: bool = False
) -> PlanResult:
    checker = _Checker(document, path)
    plan = checker.plan()
    checker.unknown_keys()
    checker.folder()
    status = document.front_matter.get("status")
    if status in STATUSES:
        checker.lifecycle(status)
        if is_written(document.front_matter) or strict:
            checker.sections(sections)
            checker.placeholders(sections)
        if status != "draft" and plan is not None:
            checker.role_rules(plan)
    return PlanResult(plan, tuple(checker.problems), document, tuple(checker.warnings))


def is_written(front_matter: dict[str, Any]) -> bool:
    """From `review` on the plan must be written out; a draft abandoned before its approval
    never had to be."""
    status = front_matter.get("status")
    if status == "draft":
        return False
    return not (status == "abandoned" and not front_matter.get("approval"))


class _Checker:
    """Collects problems while reading fields; returns None for fields it cannot read."""

    def __init__(self, document: Document, path: str) -> None:
        self.document = document
        self.fm = document.front_matter
        self.path = path
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def add(self, field_path: str, message: str, fix: str) -> None:
        line = self.document.line_of(field_path)
        self.problems.append(Problem(self.path, line, field_path, message, fix))

    def warn(self, field_path: str, message: str, fix: str) -> None:
        line = self.document.line_of(field_path)
        self.warnings.append(Problem(self.path, line, field_path, message, fix, "warning"))

    def _missing(self, key: str, fix: str) -> None:
        self.problems.append(Problem(self.path, 1, key, "missing", fix))

    def text(self, key: str, fix: str, *, required: bool = True, source: Any = None) -> str | None:
        container = self.fm if source is None else source
        short = key.rsplit(".", 1)[-1]
        value = container.get(short) if isinstance(container, dict) else None
        if value is None:
            if required:
                self._missing(key, fix) if source is None else self.add(key, "missing", fix)
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(key, f"must be non-empty text, not {value!r}", fix)
            return None
        return value.strip()

    def choice(self, key: str, options: tuple[str, ...], *, required: bool = True) -> str | None:
        value = self.fm.get(key)
        if value is None:
            if required:
                self._missing(key, f"add '{key}: {options[0]}'")
            return None
        if value not in options:
            self.add(key, f"{value!r} is not allowed", f"use one of: {', '.join(options)}")
            return None
        return str(value)

    def plan(self) -> Plan | None:
        before = len(self.problems)
        plan_id = self.fm.get("id")
        if plan_id is None:
            self._missing("id", "add 'id: H-001' (H- and at least three digits)")
        elif not is_valid_id(plan_id):
            self.add("id", f"{plan_id!r} is not a hypothesis ID", "use H- and at least 3 digits")
        title = self.text("title", "add a one-line title")
        status = self.choice("status", STATUSES)
        outcome = self.choice("outcome", OUTCOMES, required=False)
        created = self._created()
        roles = self._roles(status)
        rice = self._rice()
        hypothesis = self.text("hypothesis", "state the hypothesis in one falsifiable sentence")
        predictions = self._predictions()
        data = self._data()
        timebox = self._positive_int("timebox_days")
        conclusion = self.text("conclusion", "write one line", required=False)
        approval = self._approval()
        deviations = self._deviations()
        command = self._command("command", self.fm.get("command"))
        evaluation = self._evaluation()
        serves = self._names("serves", "e.g. serves: [retention_30d]")
        validation = self._validation()
        reapprovals = self._reapprovals()
        reviews = self._reapprovals("reviews")
        lifecycle = self._lifecycle()
        fmt = self.fm.get("format", "html")
        if not isinstance(fmt, str | dict):
            self.add("format", "must be a Quarto format name", "e.g. 'format: html'")
        if len(self.problems) > before and not is_valid_id(plan_id):
            return None
        if (
            plan_id is None
            or title is None
            or status is None
            or created is None
            or roles is None
            or rice is None
            or hypothesis is None
            or predictions is None
        ):  # each of these added its problem
            return None
        return Plan(
            id=str(plan_id),
            title=title,
            status=status,
            created=created,
            roles=roles,
            rice=rice,
            hypothesis=hypothesis,
            predictions=predictions,
            data=data,
            timebox_days=timebox,
            outcome=outcome,
            conclusion=conclusion,
            approval=approval,
            deviations=deviations,
            format=fmt if isinstance(fmt, str) else _first_format(fmt),
            sections=self.document.sections,
            command=command,
            evaluation=evaluation,
            serves=serves,
            validation=validation,
            reapprovals=reapprovals,
            reviews=reviews,
            lifecycle=lifecycle,
        )

    def _created(self) -> dt.date | None:
        value = self.fm.get("created")
        if value is None:
            self._missing("created", "add 'created: YYYY-MM-DD'")
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.add("created", f"{value!r} is not a date", "write it as YYYY-MM-DD")
        return None

    def _roles(self, status: str | None) -> Roles | None:
        roles = self.fm.get("roles")
        if roles is None:
            self._missing("roles", "add 'roles: {author: you, executor: ..., reviewers: [...]}'")
            return None
        if not isinstance(roles, dict):
            self.add("roles", "must be a mapping", "e.g. {author: alice, reviewers: [dave]}")
            return None
        known = {"author", "designer", "executor", "reviewers", "reason"}
        for key in roles:
            if key not in known:
                self.add(f"roles.{key}", "unknown role", f"use one of: {', '.join(sorted(known))}")
        author = self.text("roles.author", "name the author", source=roles)
        designer = self.text("roles.designer", "name the designer", required=False, source=roles)
        executor = self.text("roles.executor", "name the executor", required=False, source=roles)
        reason = self.text("roles.reason", "say why", required=False, source=roles)
        reviewers = roles.get("reviewers") or []
        if isinstance(reviewers, str):
            reviewers = [reviewers]
        if not isinstance(reviewers, list) or not all(
            isinstance(r, str) and r.strip() for r in reviewers
        ):
            self.add("roles.reviewers", "must be a list of names", "e.g. reviewers: [dave]")
            reviewers = []
        beyond_draft = status is not None and is_written(self.fm)
        if beyond_draft:
            for role, value in (("designer", designer), ("executor", executor)):
                if value is None:
                    self.add(f"roles.{role}", "missing", f"name the {role} before review")
            if not reviewers:
                self.add("roles.reviewers", "no reviewer named", "add reviewers: [name]")
        if author and executor and author == executor and not reason:
            self.add(
                "roles.executor",
                "the executor is also the author",
                "name another executor, or say why in roles.reason",
            )
        if author in reviewers:
            self.add(
                "roles.reviewers",
                "the author cannot review their own plan",
                "name another reviewer",
            )
        if author is None:
            return None
        return Roles(author, designer, executor, tuple(r.strip() for r in reviewers), reason)

    def role_rules(self, plan: Plan) -> None:
        """From review on: designer ≠ author, and no approver is author, designer or
        executor; a written roles.reason waives them (the report and the board show it)."""
        roles = plan.roles
        if roles.reason:
            return
        if roles.designer and roles.designer == roles.author:
            self.add(
                "roles.designer",
                "the designer is also the author",
                "name another designer, or say why in roles.reason",
            )
        approvals = [("approval.by", plan.approval)] if plan.approval else []
        approvals += [(f"reapprovals[{i}].by", a) for i, a in enumerate(plan.reapprovals)]
        for key, approval in approvals:
            for role, name in (("designer", roles.designer), ("executor", roles.executor)):
                if name and approval.by == name:
                    self.add(
                        key,
                        f"approved by the {role} ({name})",
                        "a reviewer who is none of author, designer and executor approves; "
                        "or say why in roles.reason",
                    )

    def _rice(self) -> Rice | None:
        rice = self.fm.get("rice")
        if rice is None:
            self._missing("rice", "add 'rice: {reach: 3, impact: 3, confidence: 3, effort: 3}'")
            return None
        if not isinstance(rice, dict):
            self.add(
                "rice", "must be a mapping", "e.g. {reach: 3, impact: 3, confidence: 2, effort: 3}"
            )
            return None
        values: list[int] = []
        for factor in RICE_FACTORS:
            value = rice.get(factor)
            if value is None:
                self.add(f"rice.{factor}", "missing", f"add '{factor}: 1..5'")
            elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                self.add(f"rice.{factor}", f"{value!r} is out of range", "use a whole number 1..5")
            else:
                values.append(value)
        for key in rice:
            if key not in RICE_FACTORS:
                self.add(f"rice.{key}", "unknown factor", f"use {', '.join(RICE_FACTORS)}")
        return Rice(*values) if len(values) == 4 else None

    def _number(self, key: str, value: Any, *, minimum: float | None = None) -> float | None:
        if value is None:
            self.add(key, "missing", "add a number")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(key, f"{value!r} is not a number", "write a number, e.g. 0.42")
            return None
        if minimum is not None and value < minimum:
            self.add(key, f"{value!r} is negative", "use a number >= 0")
            return None
        return float(value)

    def _predictions(self) -> tuple[Prediction, ...] | None:
        items = self.fm.get("predictions")
        example = "add '- {metric: recall_at_10, baseline: 0.42, direction: increase, ...}'"
        if items is None:
            self._missing("predictions", example)
            return None
        if not isinstance(items, list) or not items:
            self.add("predictions", "needs at least one prediction", example)
            return None
        predictions: list[Prediction] = []
        seen: set[str] = set()
        for index, item in enumerate(items):
            key = f"predictions[{index}]"
            if not isinstance(item, dict):
                self.add(
                    key,
                    "must be a mapping",
                    "give metric, baseline, direction, min_effect, tolerance",
                )
                continue
            before = len(self.problems)
            metric = item.get("metric")
            if not isinstance(metric, str) or not METRIC_KEY.match(metric):
                self.add(
                    f"{key}.metric",
                    f"{metric!r} is not an MLflow metric key",
                    "name the metric the run logs, e.g. recall_at_10",
                )
            elif metric in seen:
                self.add(f"{key}.metric", f"{metric!r} is predicted twice", "merge the predictions")
            else:
                seen.add(metric)
            baseline = self._number(f"{key}.baseline", item.get("baseline"))
            direction = item.get("direction")
            if direction not in DIRECTIONS:
                self.add(
                    f"{key}.direction",
                    f"{direction!r} is not allowed",
                    f"use one of: {', '.join(DIRECTIONS)}",
                )
            min_effect = self._number(f"{key}.min_effect", item.get("min_effect"), minimum=0)
            tolerance = self._number(f"{key}.tolerance", item.get("tolerance"), minimum=0)
            withdrawn = item.get("withdrawn", False)
            if not isinstance(withdrawn, bool):
                self.add(f"{key}.withdrawn", f"{withdrawn!r} is not true or false", "use true")
            source = self._baseline_source(key, item.get("baseline_source"))
            for extra in item:
                if extra not in PREDICTION_KEYS:
                    self.add(
                        f"{key}.{extra}",
                        "unknown field",
                        "use metric, baseline, baseline_source, direction, min_effect, "
                        "tolerance, withdrawn",
                    )
            if len(self.problems) == before:
                predictions.append(
                    Prediction(
                        metric,  # type: ignore[arg-type]
                        baseline,  # type: ignore[arg-type]
                        direction,  # type: ignore[arg-type]
                        min_effect,  # type: ignore[arg-type]
                        tolerance,  # type: ignore[arg-type]
                        withdrawn is True,
                        source,
                    )
                )
        return tuple(predictions)

    def _baseline_source(self, key: str, value: Any) -> str | None:
        """Where a baseline comes from: required from review on, so that no constant is
        untraceable. A run ID (32 hex), a hypothesis (H-007), or a citation in words."""
        field = f"{key}.baseline_source"
        fix = (
            "name the MLflow run ID it was measured in, the hypothesis (H-003), or a "
            "citation, e.g. 'production dashboard, week 2026-45'"
        )
        if value is None:
            if is_written(self.fm):
                self.add(field, "missing: a baseline must say where it comes from", fix)
            return None
        text = " ".join(str(value).split()) if isinstance(value, str | int | float) else ""
        if not text or (is_written(self.fm) and PLACEHOLDER.search(text)):
            self.add(field, f"{value!r} names no source", fix)
            return None
        if not (RUN_ID.match(text) or CITED_HYPOTHESIS.match(text)) and len(text.split()) < 2:
            self.add(field, f"{text!r} is neither a run ID, a hypothesis nor a citation", fix)
            return None
        return text

    def _data(self) -> tuple[str, ...]:
        items = self.fm.get("data", [])
        if items is None:
            return ()
        if not isinstance(items, list):
            self.add(
                "data", "must be a list of DVC-tracked paths", "e.g. data: [data/responses.csv]"
            )
            return ()
        paths: list[str] = []
        for index, item in enumerate(items):
            key = f"data[{index}]"
            if not isinstance(item, str) or not item.strip():
                self.add(key, "must be a path", "e.g. data/responses.csv")
                continue
            posix = PurePosixPath(item.replace("\\", "/"))
            if posix.is_absolute() or ".." in posix.parts:
                self.add(
                    key,
                    f"{item!r} leaves the repository",
                    "use a path relative to the repository root",
                )
                continue
            paths.append(str(posix))
        return tuple(paths)

    def unknown_keys(self) -> None:
        known = set(PLAN_KEYS) | set(QUARTO_KEYS)
        for key in self.fm:
            if not isinstance(key, str) or key in known or key.startswith(EXTENSION_PREFIX):
                continue
            import difflib  # only for a near miss: kept off the import path of validate

            near = difflib.get_close_matches(key, PLAN_KEYS, n=1, cutoff=0.75)
            fix = (
                f"did you mean '{near[0]}'?"
                if near
                else f"remove it, or name a team field '{EXTENSION_PREFIX}{key}'"
            )
            self.add(str(key), "unknown key", fix)

    def _command(self, key: str, value: Any) -> tuple[str, ...]:
        """A command as argv: a string is split like a shell would, but never run by one."""
        example = "e.g. 'python train.py --epochs 3' or [python, train.py]"
        if value is None:
            return ()
        if isinstance(value, str):
            try:
                return tuple(shlex.split(value))
            except ValueError as error:
                self.add(key, f"cannot be split into arguments ({error})", example)
                return ()
        if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
            return tuple(value)
        self.add(key, f"must be a command line or a list of arguments, not {value!r}", example)
        return ()

    def _evaluation(self) -> Evaluation:
        value = self.fm.get("evaluation")
        if value is None:
            return Evaluation()
        if not isinstance(value, dict):
            self.add(
                "evaluation",
                "must be a mapping",
                "e.g. evaluation: {repeats: 5, alpha: 0.05}",
            )
            return Evaluation()
        explained = {
            "repeats": "runs per confirmatory experiment: a whole number >= 1",
            "alpha": "the significance level: a number between 0 and 0.5, e.g. 0.05",
            "baseline_command": "a command that measures the baseline under the same seeds",
            "rerun_match": f"how a rerun must agree: one of {', '.join(RERUN_MATCHES)}",
        }
        for key in value:
            if key not in explained:
                self.add(f"evaluation.{key}", "unknown field", f"use {', '.join(explained)}")
        repeats = value.get("repeats")
        if repeats is not None and (
            isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1
        ):
            self.add("evaluation.repeats", f"{repeats!r} is not allowed", explained["repeats"])
            repeats = None
        alpha = value.get("alpha")
        if alpha is not None and (
            isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha <= 0.5
        ):
            self.add("evaluation.alpha", f"{alpha!r} is not allowed", explained["alpha"])
            alpha = None
        rerun_match = value.get("rerun_match")
        if rerun_match is not None and rerun_match not in RERUN_MATCHES:
            self.add(
                "evaluation.rerun_match",
                f"{rerun_match!r} is not allowed",
                explained["rerun_match"],
            )
            rerun_match = None
        baseline = self._command("evaluation.baseline_command", value.get("baseline_command"))
        planned = repeats if repeats is not None else 1
        if rerun_match == "interval" and planned < 2:
            self.warn(
                "evaluation.rerun_match",
                "'interval' needs an interval, and one run has none",
                "register repeats: 2 or more, or use rerun_match: tolerance",
            )
        if baseline and planned < 2:
            self.warn(
                "evaluation.baseline_command",
                "a paired comparison with one run has no spread to judge it by",
                "register repeats: 2 or more (each seed runs both commands)",
            )
        return Evaluation(
            repeats=repeats if repeats is not None else 1,
            alpha=float(alpha) if alpha is not None else 0.05,
            baseline_command=baseline,
            rerun_match=rerun_match or "tolerance",
            repeats_registered=repeats is not None,
        )

    def _names(self, key: str, example: str) -> tuple[str, ...]:
        value = self.fm.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.add(key, "must be a list of names", example)
            return ()
        return tuple(v.strip() for v in value)

    def _validation(self) -> Validation | None:
        value = self.fm.get("validation")
        if value is None:
            return None
        example = (
            "e.g. validation: {type: ab_test, period_days: 14, traffic_percent: 10, "
            "control: current model, business_metric: retention_30d}"
        )
        if not isinstance(value, dict):
            self.add("validation", "must be a mapping", example)
            return None
        fields = ("type", "period_days", "traffic_percent", "control", "business_metric")
        for key in value:
            if key not in fields:
                self.add(f"validation.{key}", "unknown field", f"use {', '.join(fields)}")
        kind = value.get("type")
        if kind not in VALIDATION_TYPES:
            self.add(
                "validation.type",
                f"{kind!r} is not allowed",
                f"use one of: {', '.join(VALIDATION_TYPES)}",
            )
            return None
        period = value.get("period_days")
        if period is not None and (
            isinstance(period, bool) or not isinstance(period, int) or period < 1
        ):
            self.add("validation.period_days", f"{period!r} is not allowed", "whole days, e.g. 14")
            period = None
        traffic = value.get("traffic_percent")
        if traffic is not None and (
            isinstance(traffic, bool)
            or not isinstance(traffic, int | float)
            or not 0 < traffic <= 100
        ):
            self.add(
                "validation.traffic_percent", f"{traffic!r} is not allowed", "a number in (0, 100]"
            )
            traffic = None
        control = value.get("control")
        metric = value.get("business_metric")
        return Validation(
            kind,
            period,
            float(traffic) if traffic is not None else None,
            str(control) if control is not None else None,
            str(metric) if metric is not None else None,
        )

    def _reapprovals(self, key: str = "reapprovals") -> tuple[Approval, ...]:
        items = self.fm.get(key) or []
        if not isinstance(items, list):
            self.add(key, "must be a list", "let `rflow approve` write it")
            return ()
        result: list[Approval] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), str | dt.date | dt.datetime) for k in ("by", "at", "digest")
            ):
                self.add(
                    f"{key}[{index}]",
                    "must be {by, at, digest}",
                    "let `rflow approve` write it",
                )
                continue
            result.append(Approval(str(item["by"]), str(item["at"]), str(item["digest"])))
        return tuple(result)

    def _lifecycle(self) -> tuple[LifecycleEvent, ...]:
        items = self.fm.get("lifecycle") or []
        fix = "let rflow's lifecycle commands (start, hold, resume, extend, ...) write it"
        if not isinstance(items, list):
            self.add("lifecycle", "must be a list", fix)
            return ()
        result: list[LifecycleEvent] = []
        for index, item in enumerate(items):
            key = f"lifecycle[{index}]"
            if (
                not isinstance(item, dict)
                or item.get("event") not in LIFECYCLE_EVENTS
                or not isinstance(item.get("at"), str | dt.date | dt.datetime)
            ):
                self.add(
                    key,
                    f"must be {{event, at, by, ...}} with event one of "
                    f"{', '.join(LIFECYCLE_EVENTS)}",
                    fix,
                )
                continue
            days = item.get("days")
            result.append(
                LifecycleEvent(
                    event=item["event"],
                    at=str(item["at"]),
                    by=str(item.get("by") or ""),
                    reason=str(item["reason"]) if item.get("reason") is not None else None,
                    days=days if isinstance(days, int) and not isinstance(days, bool) else None,
                    outcome=str(item["outcome"]) if item.get("outcome") is not None else None,
                    override=str(item["override"]) if item.get("override") is not None else None,
                    phase=str(item["phase"]) if item.get("phase") is not None else None,
                )
            )
        return tuple(result)

    def _positive_int(self, key: str) -> int | None:
        value = self.fm.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.add(key, f"{value!r} is not a positive whole number", "e.g. 5")
            return None
        return value

    def _approval(self) -> Approval | None:
        value = self.fm.get("approval")
        if value is None:
            return None
        if not isinstance(value, dict) or not all(
            isinstance(value.get(k), str | dt.date | dt.datetime) for k in ("by", "at", "digest")
        ):
            self.add("approval", "must be {by, at, digest}", "let `rflow approve` write it")
            return None
        return Approval(str(value["by"]), str(value["at"]), str(value["digest"]))

    def _deviations(self) -> tuple[Deviation, ...]:
        items = self.fm.get("deviations") or []
        if not isinstance(items, list):
            self.add("deviations", "must be a list", "let `rflow deviate` write it")
            return ()
        result: list[Deviation] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("reason"), str):
                self.add(
                    f"deviations[{index}]",
                    "must be {at, by, reason, digest}",
                    "let `rflow deviate` write it",
                )
                continue
            result.append(
                Deviation(
                    str(item.get("at", "")),
                    str(item.get("by", "")),
                    item["reason"],
                    str(item.get("digest", "")),
                )
            )
        return tuple(result)

    def lifecycle(self, status: str) -> None:
        outcome = self.fm.get("outcome")
        if status == "concluded" and outcome is None:
            self.add(
                "outcome",
                "a concluded hypothesis needs an outcome",
                f"set outcome to one of: {', '.join(OUTCOMES)}",
            )
        if outcome is not None and status not in ("concluded", "reported"):
            self.add(
                "outcome",
                f"set while status is {status!r}",
                "set outcome only when concluding, or clear it (outcome: null)",
            )
        if is_written(self.fm) and self.fm.get("command") in (None, "", []):
            self.add(
                "command",
                "missing: confirmatory runs and the rerun execute the registered command",
                "add e.g. 'command: python train.py' before review",
            )
        if status in ("approved", "running", "hold", "reported", "concluded") and not self.fm.get(
            "approval"
        ):
            self.add(
                "status", f"{status!r} without an approval", "have a reviewer run `rflow approve`"
            )

    def folder(self) -> None:
        plan_id = self.fm.get("id")
        parts = PurePosixPath(self.path.replace("\\", "/")).parts
        if len(parts) >= 2 and is_valid_id(plan_id):
            folder_id = id_from_name(parts[-2])
            if folder_id is not None and folder_id != plan_id:
                self.add(
                    "id",
                    f"{plan_id} does not match its folder {parts[-2]}",
                    f"set 'id: {folder_id}' or rename the folder",
                )

    def sections(self, config: SectionsConfig) -> None:
        for key in ("title", "hypothesis", "roles.author", "predictions[0].metric", "command"):
            value = _lookup(self.fm, key)
            if isinstance(value, str) and PLACEHOLDER.search(value):
                self.add(
                    key,
                    "still holds template placeholder text (TODO)",
                    "replace the TODO text with your own",
                )
        for title in config.required:
            section = self.document.section(title)
            if section is None:
                self.problems.append(
                    Problem(
                        self.path,
                        self.document.body_start,
                        f"## {title}",
                        "required section is missing",
                        f"add '## {title}'",
                    )
                )
                continue
            self._section_body(section, f"## {title}")
            if title.casefold() == config.design.casefold():
                self._design_steps(section, config.design_steps)

    def placeholders(self, config: SectionsConfig) -> None:
        """Template values that parse fine but were never filled in."""
        fix_metric = "name the metric your run logs to MLflow, e.g. recall_at_10"
        items = self.fm.get("predictions")
        for index, item in enumerate(items if isinstance(items, list) else []):
            if not isinstance(item, dict):
                continue
            metric = item.get("metric")
            if isinstance(metric, str) and TEMPLATE_METRIC.match(metric):
                key = f"predictions[{index}].metric"
                self.add(key, f"{metric!r} is the template's placeholder", fix_metric)
            baseline = item.get("baseline")
            if isinstance(baseline, float) and baseline == 0.0:
                self.add(
                    f"predictions[{index}].baseline",
                    "0.0 is the template's placeholder baseline",
                    "write the measured baseline; if it truly is zero, write 'baseline: 0'",
                )
        if self.fm.get("data") in (None, []):
            named = _data_named_in_design(self.document, config)
            if named:
                self.add(
                    "data",
                    f"empty, but the experiment design names {named}",
                    f"list the DVC-tracked paths the experiment reads, e.g. data: [{named}]",
                )

    def _design_steps(self, section: Section, steps: tuple[str, ...]) -> None:
        present = {" ".join(s.title.casefold().split()): s for s in section.subsections}
        for step in steps:
            sub = present.get(" ".join(step.casefold().split()))
            if sub is None:
                self.problems.append(
                    Problem(
                        self.path,
                        section.line,
                        f"### {step}",
                        "design step is missing",
                        f"add '### {step}' under '## {section.title}'",
                    )
                )
            else:
                self._section_body(sub, f"### {step}")
                if "statistic" in step.casefold():
                    self._statistics_step(sub, f"### {step}")

    def _statistics_step(self, section: Section, label: str) -> None:
        body = HTML_COMMENT.sub("", section.body)
        if body.strip() and not STATISTICS_WORDS.search(body):
            self.warnings.append(
                Problem(
                    self.path,
                    section.line,
                    label,
                    "says nothing about the number of runs or the test",
                    "name how many repeats (evaluation.repeats) and the test or interval, "
                    "e.g. '10 seeds, a 95 % t-interval of the effect'",
                    "warning",
                )
            )

    def _section_body(self, section: Section, label: str) -> None:
        # comments are blanked line for line so reported line numbers stay true
        body = HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), section.body)
        if section.subsections:  # the steps are checked on their own; here only the intro
            intro_end = section.subsections[0].line - section.line - 1
            body = "\n".join(body.split("\n")[:intro_end])
        elif not body.strip():
            self.problems.append(
                Problem(self.path, section.line, label, "section is empty", "write the section")
            )
            return
        placeholder = PLACEHOLDER.search(body)
        if placeholder:
            offset = body[: placeholder.start()].count("\n") + 1
            self.problems.append(
                Problem(
                    self.path,
                    section.line + offset,
                    label,
                    "still holds template placeholder text (TODO)",
                    "replace the TODO text with your own",
                )
            )


def _data_named_in_design(document: Document, config: SectionsConfig) -> str | None:
    """The first data file path the design section names (comments ignored), or None."""
    section = document.section(config.design)
    if section is None:
        return None
    text = HTML_COMMENT.sub("", section.body)
    match = DATA_PATH.search(text)
    return match.group(1) if match else None


def _lookup(data: Any, path: str) -> Any:
    """`roles.author` / `predictions[0].metric` → the value, or None."""
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            index = int(part[1:-1])
            data = data[index] if isinstance(data, list) and index < len(data) else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def _first_format(value: Any) -> str:
    """The first format of a `format:` mapping; html for anything else (already reported)."""
    if isinstance(value, dict) and value:
        return str(next(iter(value)))
    return "html"
