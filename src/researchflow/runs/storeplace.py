"""Where a hypothesis's runs live, named the way a team names it.

`runs.yaml` records the embedded store relative to the repository root
(`sqlite:///.rflow/mlflow.db`), so every clone reads the same name; any other store (a
server, a file elsewhere) is recorded as it is. Entries written before this recorded the
absolute path of the first machine; they still read.

A clone without the runs' store must not be checked against an empty one: that would say
"not in the store" once per run, invite `rflow report --update` (which would write "missing"
into the verdicts) and leave an empty database behind. `require_store` says it in one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from researchflow.base.errors import StoreAbsent

SQLITE = "sqlite:///"


def sqlite_file(uri: str, root: Path | None = None) -> Path | None:
    """The database file of a `sqlite:///` URI (a relative one against `root`), else None."""
    if not uri.startswith(SQLITE):
        return None
    rest = uri[len(SQLITE) :]
    if not rest or rest.startswith(":memory:") or rest == "/:memory:":
        return None
    path = Path(rest)
    if not path.is_absolute() and root is not None:
        path = root / path
    return path


def recorded_store(root: Path, uri: str) -> str:
    """`uri` as runs.yaml records it: a sqlite file inside the repository relative to its
    root, anything else unchanged."""
    path = sqlite_file(uri)
    if path is None or not path.is_absolute():
        return uri
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return uri
    return SQLITE + relative.as_posix()


def resolved_store(root: Path, recorded: str) -> str:
    """A recorded store URI as this clone reaches it: a relative sqlite file under `root`."""
    path = sqlite_file(recorded, root)
    if path is None or Path(recorded[len(SQLITE) :]).is_absolute():
        return recorded
    return SQLITE + str(path)


def where_runs_live(root: Path, entries: Sequence[Any]) -> str:
    """The store the runs name, as the team names it (the most frequent, when they differ)."""
    from collections import Counter

    names = Counter(recorded_store(root, entry.tracking_uri) for entry in entries)
    names.pop("", None)
    return names.most_common(1)[0][0] if names else SQLITE + ".rflow/mlflow.db"


def require_store(root: Path, current: str, hypothesis: str, entries: Sequence[Any]) -> None:
    """Before opening `current`: StoreAbsent when it is an embedded file that does not exist
    and runs.yaml lists runs (opening it would create an empty database)."""
    path = sqlite_file(current, root)
    if entries and path is not None and not path.exists():
        raise StoreAbsent(_absent(root, current, hypothesis, entries, "does not exist here"))


def require_store_of_runs(
    root: Path, current: str, research_dir: str, run_ids: Sequence[str]
) -> None:
    """Before opening `current` for runs named by ID (`rflow diff`, `runs close`, `link`):
    StoreAbsent when it is an embedded file that does not exist, so opening it would create
    an empty database. The line names the hypothesis whose runs.yaml lists the first of
    them and where its runs live; a run no runs.yaml lists gets the store alone."""
    from researchflow.base.names import RUNS_FILE
    from researchflow.documents.runlog import read_runs

    path = sqlite_file(current, root)
    if path is None or path.exists() or not run_ids:
        return
    wanted = set(run_ids)
    for runs_file in sorted((root / research_dir).glob(f"*/{RUNS_FILE}")):
        log = read_runs(runs_file)
        if wanted & log.run_ids():
            require_store(root, current, log.hypothesis or runs_file.parent.name, log.runs)
    from researchflow.adapters.git import redact

    here = redact(recorded_store(root, current))
    raise StoreAbsent(
        f"run {run_ids[0]}: the MLflow store {here} does not exist here (to reach it: on the "
        "machine that made it `rflow store export ID -o runs.zip`, here `rflow store import "
        "runs.zip`; or set MLFLOW_TRACKING_URI to the team's tracking server)"
    )


def require_runs_found(
    root: Path, current: str, hypothesis: str, entries: Sequence[Any], found: Mapping[str, Any]
) -> None:
    """After the query (`found`: the listed runs the store holds, and those it tags with
    the hypothesis): StoreAbsent when it holds none of them and is this machine's embedded
    store, or another store than the one they were made in. Some missing, a run ID runs.yaml
    invents beside real ones, or all missing from the very server they were made in, is a
    check failure, named run by run."""
    if not entries or found:
        return  # the store knows this hypothesis: what is missing is named run by run
    home = resolved_store(root, where_runs_live(root, entries))
    if sqlite_file(current, root) is None and home.rstrip("/") == current.rstrip("/"):
        return  # the team's server lost them, or runs.yaml names runs it never had
    raise StoreAbsent(_absent(root, current, hypothesis, entries, "holds none of them"))


def _absent(root: Path, current: str, hypothesis: str, entries: Sequence[Any], why: str) -> str:
    from researchflow.adapters.git import redact

    home = where_runs_live(root, entries)
    here = recorded_store(root, current)
    count = len(entries)
    runs = f"{count} run{'s' if count != 1 else ''}"
    if home.startswith(("http://", "https://")):
        reach = f"set MLFLOW_TRACKING_URI={redact(home)}"
    else:
        bundle = f"{hypothesis}-runs.zip"
        reach = (
            f"on the machine that made them `rflow store export {hypothesis} -o {bundle}`, "
            f"here `rflow store import {bundle}`; or set MLFLOW_TRACKING_URI to the team's "
            "tracking server"
        )
    where = f"the MLflow store {redact(home)}, which {why}"
    if here != home:
        where = f"the MLflow store {redact(home)}; this machine's store {redact(here)} {why}"
    live = "lives" if count == 1 else "live"
    return f"the {runs} of {hypothesis} {live} in {where} (to reach them: {reach})"
