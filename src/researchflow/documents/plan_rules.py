"""The rules across a plan's fields and sections, after the fields are read (pure):
status against approval and outcome, the folder's ID, who may approve whom, the written
sections, and template values never filled in."""

from __future__ import annotations

from researchflow.base.frozen import fields
from researchflow.base.names import id_from_name, is_valid_id
from researchflow.base.problems import Problem
from researchflow.documents.config import SectionsConfig
from researchflow.documents.document import (
    Document,
    DocumentError,
    Section,
    normalise_title,
    parse_document,
)
from researchflow.documents.plan import (
    DATA_PATH,
    OUTCOMES,
    PLAN_KEYS,
    QUARTO_KEYS,
    STATISTICS_WORDS,
    STATUSES,
    TEMPLATE_METRIC,
    Plan,
    PlanResult,
    is_written,
)
from researchflow.documents.plan_schema import PLAN_FIELDS
from researchflow.documents.schema import (
    HTML_COMMENT,
    PLACEHOLDER_FIX,
    PLACEHOLDER_MESSAGE,
    Reader,
    blanked,
    placeholder_fields,
    placeholder_line,
)

# the front-matter fields a draft's template fills with TODO
TEMPLATE_FIELDS = ("title", "hypothesis", "roles.author", "predictions[0].metric", "command")
ALLOWED_KEYS = frozenset(PLAN_KEYS) | frozenset(QUARTO_KEYS)


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
    return check_plan(document, path, sections, strict=strict)


def check_plan(
    document: Document, path: str, sections: SectionsConfig, *, strict: bool = False
) -> PlanResult:
    reader = Reader(document, path)
    plan = _plan(reader)
    if not ALLOWED_KEYS.issuperset(reader.data):  # the usual plan: one set test
        reader.unknown(reader.data, PLAN_KEYS, also=QUARTO_KEYS, text_keys_only=True)
    _folder(reader, plan)
    status = reader.data.get("status")
    if status in STATUSES:
        _lifecycle(reader, status)
        if is_written(reader.data) or strict:
            _sections(reader, sections)
            _placeholders(reader, sections)
        if status != "draft" and plan is not None:
            _role_rules(reader, plan)
    return PlanResult(plan, tuple(reader.problems), document, tuple(reader.warnings))


def _plan(reader: Reader) -> Plan | None:
    values = reader.read(PLAN_FIELDS)
    if reader.problems and not is_valid_id(reader.data.get("id")):
        return None
    for name in REQUIRED:
        if values[name] is None:  # it added its problem
            return None
    values["sections"] = reader.document.sections
    if len(values) != len(PLAN_ORDER):  # a Plan attribute no field reads: its default
        return Plan(**values)
    return Plan(*map(values.__getitem__, PLAN_ORDER))  # by position: Plan's quick way in


REQUIRED = ("id", "title", "status", "created", "roles", "rice", "hypothesis", "predictions")
PLAN_ORDER = tuple(spec.name for spec in fields(Plan))


def _lifecycle(reader: Reader, status: str) -> None:
    fm = reader.data
    outcome = fm.get("outcome")
    if status == "concluded" and outcome is None:
        reader.add(
            "outcome",
            "a concluded hypothesis needs an outcome",
            f"set outcome to one of: {', '.join(OUTCOMES)}",
        )
    if outcome is not None and status not in ("concluded", "reported"):
        reader.add(
            "outcome",
            f"set while status is {status!r}",
            "set outcome only when concluding, or clear it (outcome: null)",
        )
    if is_written(fm) and fm.get("command") in (None, "", []):
        reader.add(
            "command",
            "missing: confirmatory runs and the rerun execute the registered command",
            "add e.g. 'command: python train.py' before review",
        )
    if status in ("approved", "running", "hold", "reported", "concluded") and not fm.get(
        "approval"
    ):
        reader.add(
            "status", f"{status!r} without an approval", "have a reviewer run `rflow approve`"
        )


def _folder(reader: Reader, plan: Plan | None) -> None:
    plan_id = reader.data.get("id")
    # the path's parts as PurePosixPath gives them, without its cost on every plan
    path = reader.path
    parts = (path.replace("\\", "/") if "\\" in path else path).split("/")
    if "" in parts or "." in parts:
        parts = [part for part in parts if part not in ("", ".")]
    # a plan was made only from a valid `id` (the same text): no need to match it again
    if len(parts) >= 2 and (plan is not None or is_valid_id(plan_id)):
        folder_id = id_from_name(parts[-2])
        if folder_id is not None and folder_id != plan_id:
            reader.add(
                "id",
                f"{plan_id} does not match its folder {parts[-2]}",
                f"set 'id: {folder_id}' or rename the folder",
            )


def _role_rules(reader: Reader, plan: Plan) -> None:
    """From review on: designer ≠ author, and no approver is author, designer or executor;
    a written roles.reason waives them (the report and the board show it)."""
    roles = plan.roles
    if roles.reason:
        return
    if roles.designer and roles.designer == roles.author:
        reader.add(
            "roles.designer",
            "the designer is also the author",
            "name another designer, or say why in roles.reason",
        )
    approvals = [("approval.by", plan.approval)] if plan.approval else []
    if plan.reapprovals:
        approvals += [(f"reapprovals[{i}].by", a) for i, a in enumerate(plan.reapprovals)]
    for key, approval in approvals:
        for role, name in (("designer", roles.designer), ("executor", roles.executor)):
            if name and approval.by == name:
                reader.add(
                    key,
                    f"approved by the {role} ({name})",
                    "a reviewer who is none of author, designer and executor approves; "
                    "or say why in roles.reason",
                )


class _Layout:
    """What the section rules need of a SectionsConfig, worked out once per config: each
    required title with its label and whether it is the design; each design step with its
    normalised title, its label and whether it is the statistics step."""

    def __init__(self, config: SectionsConfig) -> None:
        design = config.design.casefold()
        self.required = tuple(
            (title, f"## {title}", title.casefold() == design) for title in config.required
        )
        self.steps = tuple(
            (normalise_title(step), f"### {step}", "statistic" in step.casefold())
            for step in config.design_steps
        )


_LAYOUTS: dict[SectionsConfig, _Layout] = {}
# the config of the plans being read, and its layout: one item, read and replaced whole
_LAST: list[tuple[SectionsConfig | None, _Layout | None]] = [(None, None)]


def _layout(config: SectionsConfig) -> _Layout:
    last, known = _LAST[0]
    if last is config and known is not None:  # status passes one config to every plan
        return known
    layout = _LAYOUTS.get(config)  # equal configs share one (hashing one costs more)
    if layout is None:
        layout = _Layout(config)
        if len(_LAYOUTS) < 64:
            _LAYOUTS[config] = layout
    _LAST[0] = (config, layout)
    return layout


def _sections(reader: Reader, config: SectionsConfig) -> None:
    placeholder_fields(reader, TEMPLATE_FIELDS)
    document = reader.document
    layout = _layout(config)
    for title, label, is_design in layout.required:
        section = document.section(title)
        if section is None:
            reader.add(label, "required section is missing", f"add '{label}'", document.body_start)
            continue
        body = section.body  # plain written text, most sections, has nothing to find
        if section.subsections or "TODO" in body or "<!--" in body or not body or body.isspace():
            _section_body(reader, section, label)
        if is_design:
            _design_steps(reader, section, layout.steps)


def _placeholders(reader: Reader, config: SectionsConfig) -> None:
    """Template values that parse fine but were never filled in."""
    fix_metric = "name the metric your run logs to MLflow, e.g. recall_at_10"
    items = reader.data.get("predictions")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        metric = item.get("metric")
        # (only t or T starts a match: TEMPLATE_METRIC's cost is spared for other names)
        if isinstance(metric, str) and metric[:1] in ("t", "T") and TEMPLATE_METRIC.match(metric):
            key = f"predictions[{index}].metric"
            reader.add(key, f"{metric!r} is the template's placeholder", fix_metric)
        baseline = item.get("baseline")
        if isinstance(baseline, float) and baseline == 0.0:
            reader.add(
                f"predictions[{index}].baseline",
                "0.0 is the template's placeholder baseline",
                "write the measured baseline; if it truly is zero, write 'baseline: 0'",
            )
    if reader.data.get("data") in (None, []):
        named = _data_named_in_design(reader.document, config)
        if named:
            reader.add(
                "data",
                f"empty, but the experiment design names {named}",
                f"list the DVC-tracked paths the experiment reads, e.g. data: [{named}]",
            )


def _design_steps(
    reader: Reader, section: Section, steps: tuple[tuple[str, str, bool], ...]
) -> None:
    present: dict[str, Section] = {}
    for step in section.subsections:  # a later step of the same title wins, as it always did
        present[normalise_title(step.title)] = step
    for normalised, label, statistics in steps:
        sub = present.get(normalised)
        if sub is None:
            reader.add(
                label,
                "design step is missing",
                f"add '{label}' under '## {section.title}'",
                section.line,
            )
            continue
        body = sub.body  # plain written text, most steps, has nothing to find
        if "TODO" in body or "<!--" in body or not body or body.isspace() or sub.subsections:
            _section_body(reader, sub, label)
        if statistics:
            _statistics_step(reader, sub, label)


def _statistics_step(reader: Reader, section: Section, label: str) -> None:
    body = HTML_COMMENT.sub("", section.body) if "<!--" in section.body else section.body
    if body.strip() and not STATISTICS_WORDS.search(body):
        reader.warn(
            label,
            "says nothing about the number of runs or the test",
            "name how many repeats (evaluation.repeats) and the test or interval, "
            "e.g. '10 seeds, a 95 % t-interval of the effect'",
            section.line,
        )


def _section_body(reader: Reader, section: Section, label: str) -> None:
    body = section.body
    if "<!--" in body:
        body = blanked(body)
    if section.subsections:  # the steps are checked on their own; here only the intro
        intro_end = section.subsections[0].line - section.line - 1
        # the intro's lines; maxsplit spares splitting the steps (any count: as split()[:n])
        body = "\n".join(body.split("\n", intro_end)[:intro_end])
    elif not body or body.isspace():  # what `not body.strip()` says, without a copy
        reader.add(label, "section is empty", "write the section", section.line)
        return
    if "TODO" in body:  # the rest only for a section that may hold template text
        line = placeholder_line(section, body)
        if line is not None:
            reader.add(label, PLACEHOLDER_MESSAGE, PLACEHOLDER_FIX, line)


def _data_named_in_design(document: Document, config: SectionsConfig) -> str | None:
    """The first data file path the design section names (comments ignored), or None."""
    section = document.section(config.design)
    if section is None:
        return None
    match = DATA_PATH.search(HTML_COMMENT.sub("", section.body))
    return match.group(1) if match else None
