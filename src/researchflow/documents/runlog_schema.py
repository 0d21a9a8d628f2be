"""`runs.yaml`'s fields, declared for the document engine (documents/schema.py).

rflow writes this file; people edit it by hand only to mend it, so every problem's fix is
the same: mend the value, or take the file back from git. Keys rflow does not know are
left alone (a newer rflow may have written them). A new field of a run is one `Field` in
ENTRY_FIELDS and one attribute of `RunEntry` (documents/runlog.py, which makes the entries from
these values); the order here is the order problems are
reported in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from researchflow.base.problems import Problem
from researchflow.documents.document import YamlFile
from researchflow.documents.kinds import (
    Arguments,
    AsText,
    Custom,
    Each,
    Fields,
    Flag,
    Number,
    Scalar,
    Table,
    Whole,
)
from researchflow.documents.schema import MISSING, Field, Reader, describe

FIX = "fix the value, or restore the file from git"
TIME = "must be a time such as 2026-11-23T10:00:00Z, not {kind}"


def _timestamp(reader: Reader, key: str, value: Any) -> Any:
    # a hand-edited file may hold an unquoted timestamp, which YAML reads as a datetime
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return str(value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if isinstance(value, dt.date):
        return str(value.isoformat())
    if isinstance(value, dict | list | bool):
        reader.add(key, TIME.format(kind=describe(value)), FIX)
        return MISSING
    return str(value)


def _hypothesis(reader: Reader, key: str, value: Any) -> Any:
    if not isinstance(value, str):
        reader.add(key, "must be an ID such as H-007", FIX)
        return MISSING
    return value or None


TEXT = Scalar(fix=FIX)
FLAG = Flag(fix=FIX)
VALUES = Table(AsText(), fix=FIX, null_is_value=True)  # DVC path → md5
# In the order the file has always been checked in: the first problem is the one shown.
ENTRY_FIELDS = (
    Field("command", Arguments(fix=FIX), default=()),
    Field("metrics", Table(Number(message="must be a number, not {kind}", fix=FIX), fix=FIX)),
    Field("repeat", Whole(None, message="must be a whole number, not {kind}", fix=FIX)),
    Field(
        "retired",
        Table(
            AsText(),
            message="must be a mapping of reason, by, at, not {kind}",
            fix=FIX,
            single=False,
            null_is_value=True,
        ),
    ),
    Field("run_id", TEXT, FIX, required=True),
    Field("experiment_id", TEXT, FIX, required=True),
    Field("tracking_uri", TEXT, default=""),
    Field("commit", TEXT, FIX, required=True),
    Field("branch", TEXT),
    Field("dirty", FLAG, default=False),
    Field("data", VALUES),
    Field("started", Custom(_timestamp), default=""),
    Field("ended", Custom(_timestamp), default=""),
    Field("status", TEXT, default=""),
    Field("source", TEXT, default="run"),
    Field("rerun_of", TEXT),
    Field("cwd", TEXT, default=""),
    Field("outputs", VALUES),
    Field("group", TEXT),
    Field("arm", TEXT),
    Field("exploratory", FLAG, default=False),
    Field("user", TEXT),
    Field("dvc_exp", TEXT),
    Field("patch", TEXT),
    Field("note", TEXT),
)
ENTRY = Fields(ENTRY_FIELDS, FIX, shape="must be a mapping of fields, not {kind}", unknown=None)
# The file's shape and its ID are checked before any entry.
LOG_FIELDS = (
    Field("runs", Each(message="must be a list of entries", fix=FIX), default=()),
    Field("hypothesis", Custom(_hypothesis)),
)
ENTRIES = Each(ENTRY)


def read_log(
    data: Any, text: str, shown: str
) -> tuple[Any, tuple[dict[str, Any], ...], list[Problem]]:
    """The ID and each entry's values in `data` (loaded from `text`), and every problem."""
    if data is None:
        return None, (), []
    reader = Reader(YamlFile(data if isinstance(data, dict) else {}, text), shown)
    if not isinstance(data, dict):
        reader.add("runs", "the file must be a mapping with hypothesis and runs", FIX)
        return None, (), reader.problems
    top = reader.read(LOG_FIELDS)
    return top["hypothesis"], ENTRIES.items(reader, "runs", top["runs"]), reader.problems
