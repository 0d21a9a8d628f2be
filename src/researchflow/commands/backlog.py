"""`rflow backlog hold|resume|drop|rescore ID`: intake hygiene for ideas not yet groomed.

Each appends one `{event, by, at, reason, …}` to the idea's `history:` in
research/backlog.yaml and commits it on the base branch (pushed atomically when online,
like `rflow idea`). A dropped idea stays listed with its reason; a held one leaves the
grooming clock; a re-scored one keeps its old score in the history.
"""

from __future__ import annotations

from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen, replace
from researchflow.base.output import fields_json
from researchflow.documents.config import Config
from researchflow.documents.plan import RICE_FACTORS, Rice
from researchflow.documents.scaffold import rice_option
from researchflow.process.backlog import DROPPED, HELD, OPEN, Idea, find
from researchflow.process.hypotheses import utc_now

# event → (states it may follow, the state it leaves)
MOVES = {
    "hold": ((OPEN,), HELD),
    "resume": ((HELD,), OPEN),
    "drop": ((OPEN, HELD), DROPPED),
    "rescore": ((OPEN, HELD), None),
}

PAST = {"hold": "put on hold", "resume": "resumed", "drop": "dropped", "rescore": "re-scored"}


@frozen
class BacklogResult:
    idea: Idea
    event: str
    path: str
    base: str
    pushed: bool

    def to_json(self) -> dict[str, Any]:
        own = fields_json(self)
        del own["idea"]
        return {**self.idea.to_json(), **own}

    def to_text(self) -> str:
        where = self.base + ("" if self.pushed else " (local only, not pushed)")
        return (
            f"{self.idea.id}: {self.event} → {self.idea.state}, RICE {self.idea.score} "
            f"({self.path} on {where})"
        )


def change(
    config: Config,
    idea_id: str,
    event: str,
    *,
    reason: str,
    rice: str | None = None,
    base: str | None = None,
    push: bool = True,
) -> BacklogResult:
    from researchflow.adapters.git import acting_user
    from researchflow.process.intake import change_backlog

    reason = " ".join(reason.split())
    if not reason:
        raise UserError("--reason: empty (say why, in one sentence)")
    new_rice = _rice(rice) if event == "rescore" else None
    by = acting_user(config.root)
    done: list[Idea] = []

    def apply(ideas: list[Idea]) -> tuple[list[Idea], str]:
        found = find(ideas, idea_id)
        if found is None:
            raise UserError(
                f"{config.research_dir}/backlog.yaml: {idea_id} is not an idea in the backlog "
                "(`rflow rank` lists them; a groomed idea is a hypothesis now)"
            )
        allowed, _after = MOVES[event]
        if found.state not in allowed:
            raise UserError(
                f"{config.research_dir}/backlog.yaml: {idea_id} is {found.state} and cannot "
                f"be {PAST[event]} "
                f"(it must be {' or '.join(allowed)})"
            )
        entry: dict[str, Any] = {"event": event, "by": by, "at": utc_now(), "reason": reason}
        updated = found
        if new_rice is not None:
            entry["from"] = dict(zip(RICE_FACTORS, _values(found.rice), strict=True))
            updated = replace(updated, rice=new_rice)
        updated = replace(updated, history=(*found.history, entry))
        done[:] = [updated]
        message = f"{idea_id}: idea {event}: {reason}\n\nBacklog: changed with `rflow backlog`.\n"
        return [updated if idea.id == idea_id else idea for idea in ideas], message

    path, name, pushed = change_backlog(config, apply, base=base, push=push)
    return BacklogResult(done[0], event, path, name, pushed)


def _rice(text: str | None) -> Rice:
    if text is None:
        raise UserError("--rice: required to re-score (reach,impact,confidence,effort)")
    return Rice(*rice_option(text))


def _values(rice: Rice) -> tuple[int, int, int, int]:
    return (rice.reach, rice.impact, rice.confidence, rice.effort)
