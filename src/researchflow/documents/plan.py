"""The plan model: its statuses, fields, the RICE score and the rank (pure).

What a plan means lives here; how its front matter is read and checked is declared in
plan_schema.py (the fields) and plan_rules.py (the rules across them), both run by the
document engine in schema.py. Drafts are work in progress: their sections may still hold
template text. From `review` on, every required section must be written.
"""

from __future__ import annotations

import datetime as dt
import re

from researchflow.base import TYPE_CHECKING
from researchflow.base.frozen import field, frozen
from researchflow.base.names import id_number
from researchflow.base.problems import Problem
from researchflow.documents.document import Document, Section

if TYPE_CHECKING:
    from typing import Any

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
METRIC_KEY = re.compile(r"^[\w./ -]+$")  # MLflow's allowed metric-name characters
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


@frozen
class Rice:
    reach: int
    impact: int
    confidence: int
    effort: int

    @property
    def score(self) -> int:
        return self.reach * self.impact * self.confidence * self.effort


@frozen
class Prediction:
    metric: str
    baseline: float
    direction: str
    min_effect: float
    tolerance: float
    withdrawn: bool = False  # withdrawn by a deviation: still shown and judged, never deleted
    baseline_source: str | None = None  # where the baseline comes from: run ID, H-NNN, citation


@frozen
class Roles:
    author: str
    designer: str | None = None
    executor: str | None = None
    reviewers: tuple[str, ...] = ()
    reason: str | None = None  # why a role rule is waived (shown by the report and board)


@frozen
class Approval:
    by: str
    at: str
    digest: str


@frozen
class Evaluation:
    """How confirmatory evidence is judged: registered with the plan (`evaluation:`)."""

    repeats: int = 1  # runs per confirmatory experiment
    alpha: float = 0.05  # 1 - alpha is the confidence of the interval
    baseline_command: tuple[str, ...] = ()  # measures the baseline under the same seeds
    rerun_match: str = "tolerance"  # a rerun's mean within tolerance, or within the interval
    repeats_registered: bool = False  # the plan wrote `repeats:` itself (n = 1 on purpose)


@frozen
class Validation:
    """The online check that follows a confirmed offline result (`validation:`)."""

    type: str  # ab_test | pilot
    period_days: int | None = None
    traffic_percent: float | None = None
    control: str | None = None
    business_metric: str | None = None


@frozen
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


@frozen
class Deviation:
    at: str
    by: str
    reason: str
    digest: str


@frozen
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


@frozen
class PlanResult:
    plan: Plan | None
    problems: tuple[Problem, ...]
    document: Document | None = None
    warnings: tuple[Problem, ...] = ()  # advice that does not make the plan invalid


def rank_key(plan: Plan) -> tuple[int, int]:
    """Highest RICE first, ties broken by the lower ID."""
    return (-plan.score, id_number(plan.id))


def is_written(front_matter: dict[str, Any]) -> bool:
    """From `review` on the plan must be written out; a draft abandoned before its approval
    never had to be."""
    status = front_matter.get("status")
    if status == "draft":
        return False
    return not (status == "abandoned" and not front_matter.get("approval"))
