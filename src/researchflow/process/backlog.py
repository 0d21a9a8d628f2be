"""The backlog: ideas with a RICE score and an ID, but no branch yet (pure).

`rflow idea` appends to `research/backlog.yaml` on the base branch; grooming
(`rflow groom H-012`, or `rflow new-hypothesis H-012`) turns an idea into a branch, a
plan and a draft merge request. The file is rflow's to write, but a person may edit a
title or a score by hand, so it is read as strictly as a plan.
"""

from __future__ import annotations

import datetime as dt

from researchflow.base import TYPE_CHECKING
from researchflow.base.frozen import frozen
from researchflow.base.names import BACKLOG_FILE, is_valid_id
from researchflow.base.strictkeys import unknown_keys
from researchflow.documents.plan import RICE_FACTORS, Rice
from researchflow.verdicts.evidence import parse_day

if TYPE_CHECKING:
    from typing import Any

IDEA_FIELDS = ("id", "title", "rice", "author", "created", "serves", "history")
# what `rflow backlog hold/resume/drop/rescore` append to an idea's `history:`
IDEA_EVENTS = ("hold", "resume", "drop", "rescore")
OPEN, HELD, DROPPED = "open", "held", "dropped"
HEADER = (
    "# The backlog: ideas not yet groomed into a hypothesis branch. Written by `rflow idea`;\n"
    "# `rflow groom ID` turns one into a branch, a plan and a draft merge request.\n"
)


class BacklogError(ValueError):
    """The backlog cannot be read; the message names the entry, the field and the fix."""


@frozen
class Idea:
    id: str
    title: str
    rice: Rice
    author: str
    created: dt.date
    serves: tuple[str, ...] = ()
    history: tuple[dict[str, Any], ...] = ()  # {event, by, at, reason?, rice?}, append-only

    @property
    def score(self) -> int:
        return self.rice.score

    @property
    def state(self) -> str:
        """open, held or dropped: the last hold, resume or drop decides."""
        for entry in reversed(self.history):
            event = entry.get("event")
            if event == "drop":
                return DROPPED
            if event == "hold":
                return HELD
            if event == "resume":
                return OPEN
        return OPEN

    def waiting_days(self, today: dt.date) -> int:
        """Days since the idea came in, or since it was last resumed: its grooming clock."""
        start = self.created
        for entry in self.history:
            if entry.get("event") == "resume":
                start = max(start, parse_day(entry.get("at")) or start)
        return max(0, (today - start).days)

    def to_yaml(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "rice": dict(zip(RICE_FACTORS, _rice_tuple(self.rice), strict=True)),
            "author": self.author,
            "created": self.created,
        }
        if self.serves:
            data["serves"] = list(self.serves)
        if self.history:
            data["history"] = [dict(entry) for entry in self.history]
        return data

    def to_json(self) -> dict[str, Any]:
        rice = dict(zip(RICE_FACTORS, _rice_tuple(self.rice), strict=True))
        return {
            "id": self.id,
            "title": self.title,
            "rice": {**rice, "score": self.score},
            "author": self.author,
            "created": self.created.isoformat(),
            "serves": list(self.serves),
            "state": self.state,
            "history": [dict(entry) for entry in self.history],
        }


def _rice_tuple(rice: Rice) -> tuple[int, int, int, int]:
    return (rice.reach, rice.impact, rice.confidence, rice.effort)


def parse_backlog(raw: bytes | str | None, shown: str = f"research/{BACKLOG_FILE}") -> list[Idea]:
    """Every idea in the file, in file order; None or an empty file is an empty backlog."""
    if raw is None:
        return []
    from researchflow.documents.document import DocumentError, decode, load_yaml_mapping

    try:
        text = decode(raw) if isinstance(raw, bytes) else raw
        data, lines = load_yaml_mapping(text)
    except DocumentError as error:
        raise BacklogError(f"{shown}:{error.line}: {error.message} ({error.fix})") from None
    for key, fix in unknown_keys(data, ("ideas",)):
        raise BacklogError(f"{shown}:{lines.get(key, 1)}: {key}: unknown key ({fix})")
    items = data.get("ideas")
    items = [] if items is None else items
    if not isinstance(items, list):
        raise BacklogError(f"{shown}:{lines.get('ideas', 1)}: ideas: must be a list")
    ideas: list[Idea] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{shown}:{lines.get(f'ideas[{index}]', 1)}: ideas[{index}]"
        idea = _idea(item, where)
        if idea.id in seen:
            raise BacklogError(f"{where}.id: {idea.id} is listed twice (keep one entry)")
        seen.add(idea.id)
        ideas.append(idea)
    return ideas


def _idea(item: Any, where: str) -> Idea:
    if not isinstance(item, dict):
        raise BacklogError(f"{where}: must be a mapping (let `rflow idea` write it)")
    for key, fix in unknown_keys(item, IDEA_FIELDS):
        raise BacklogError(f"{where}.{key}: unknown field ({fix})")
    idea_id = item.get("id")
    if not is_valid_id(idea_id):
        raise BacklogError(f"{where}.id: {idea_id!r} is not a hypothesis ID (H-NNN)")
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        raise BacklogError(f"{where}.title: missing (give the idea a one-line title)")
    author = item.get("author")
    if not isinstance(author, str) or not author.strip():
        raise BacklogError(f"{where}.author: missing (name who proposed it)")
    rice = item.get("rice")
    values = [rice.get(f) if isinstance(rice, dict) else None for f in RICE_FACTORS]
    if not all(type(v) is int and 1 <= v <= 5 for v in values):
        raise BacklogError(
            f"{where}.rice: {rice!r} is not a RICE score "
            "(give reach, impact, confidence, effort: 1..5 each)"
        )
    created = item.get("created")
    if isinstance(created, str):
        try:
            created = dt.date.fromisoformat(created)
        except ValueError:
            created = None
    if isinstance(created, dt.datetime):
        created = created.date()
    if not isinstance(created, dt.date):
        raise BacklogError(f"{where}.created: {item.get('created')!r} is not a date (YYYY-MM-DD)")
    serves = item.get("serves") or []
    if isinstance(serves, str):
        serves = [serves]
    if not isinstance(serves, list) or not all(isinstance(s, str) and s for s in serves):
        raise BacklogError(f"{where}.serves: must be a list of metric names")
    return Idea(
        str(idea_id),
        " ".join(title.split()),
        Rice(*(int(v) for v in values if v is not None)),
        author.strip(),
        created,
        tuple(serves),
        _history(item.get("history"), where),
    )


def _history(items: Any, where: str) -> tuple[dict[str, Any], ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise BacklogError(f"{where}.history: must be a list (let `rflow backlog` write it)")
    for index, entry in enumerate(items):
        if not isinstance(entry, dict) or entry.get("event") not in IDEA_EVENTS:
            raise BacklogError(
                f"{where}.history[{index}]: must be {{event, by, at, ...}} with event one of "
                f"{', '.join(IDEA_EVENTS)} (let `rflow backlog` write it)"
            )
    return tuple(dict(entry) for entry in items)


def render_backlog(ideas: list[Idea]) -> str:
    """The file's text: a header comment, then one flow-style mapping per idea."""
    import yaml  # only when writing: status reads the backlog without it

    lines = [HEADER.rstrip("\n"), "ideas:"] if ideas else [HEADER.rstrip("\n"), "ideas: []"]
    for idea in ideas:
        dumped = yaml.safe_dump(
            idea.to_yaml(),
            default_flow_style=True,
            allow_unicode=True,
            sort_keys=False,
            width=1 << 16,
        ).strip()
        lines.append(f"  - {dumped}")
    return "\n".join(lines) + "\n"


def find(ideas: list[Idea], idea_id: str) -> Idea | None:
    return next((idea for idea in ideas if idea.id == idea_id), None)
