"""`rflow runs note RUN TEXT`: keep one line with a run, in the store (MLflow's
description, `mlflow.note.content`) and in runs.yaml, where diff, the report and the
board show it."""

from __future__ import annotations

from typing import Any

from researchflow.base.errors import UserError
from researchflow.base.frozen import frozen
from researchflow.base.output import fields_json
from researchflow.documents.config import Config
from researchflow.documents.project import shown_path


@frozen
class NoteResult:
    run_id: str
    path: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return fields_json(self)

    def to_text(self) -> str:
        return (
            f"run {self.run_id}: note kept in the store and in {self.path}\n"
            f"commit it: git commit -m 'Note on run {self.run_id[:8]}' {self.path}"
        )


def note(config: Config, run_id: str, text: str) -> NoteResult:
    from researchflow.runs.tracking import clean_note, keep_note

    run_id = run_id.strip()
    if not run_id:
        raise UserError("RUN: empty (give the MLflow run ID listed in runs.yaml)")
    line = clean_note(text)
    path = keep_note(config, run_id, line)
    return NoteResult(run_id, shown_path(path), line)
