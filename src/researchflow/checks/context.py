"""What every level of one hypothesis's check reads, gathered once and shared.

The store is queried at most once per hypothesis (one batched `fetch_runs`), however many
levels need it; the plan is parsed once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from researchflow.base.frozen import field, frozen
from researchflow.base.names import PLAN_FILE, REPORT_FILE, RUNS_FILE
from researchflow.documents.config import Config
from researchflow.documents.plan import PlanResult
from researchflow.documents.plan_rules import read_plan
from researchflow.documents.project import shown_under


@frozen
class CheckOptions:
    rerun: bool = False
    execute_notebooks: bool = False
    env: Mapping[str, str] | None = field(default=None, compare=False)  # None: os.environ
    rerun_sample: int | None = None  # rerun only the first K seeds of a group of repeats


MAX_FILE = 8 * 1024 * 1024  # a plan, runs.yaml or report larger than this is not one


def read_file(path: Path) -> bytes:
    """A file of the hypothesis folder, as git would hold it: a regular file (never a
    symlink to /dev/zero or elsewhere), at most MAX_FILE bytes. FileNotFoundError when
    absent; UserError otherwise."""
    from researchflow.base.errors import UserError

    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise UserError(
            f"{path.name}: is a symlink or not a regular file; rflow reads only the file "
            "itself (restore it from git)"
        )
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise UserError(f"{path.name}: cannot read: {error.strerror}") from None
    if len(raw) > MAX_FILE:
        raise UserError(f"{path.name}: larger than {MAX_FILE // 1024 // 1024} MB (restore it)")
    return raw


class HypothesisContext:
    """One hypothesis folder as the levels see it; expensive reads are cached."""

    def __init__(self, config: Config, hypothesis_id: str, folder: Path, options: CheckOptions):
        self.config = config
        self.id = hypothesis_id
        self.folder = folder
        self.options = options

    def rel(self, name: str | Path = "") -> str:
        """A path as the user sees it: relative to the repository root, POSIX style."""
        return shown_under(self.folder / name if name else self.folder, self.config.root)

    @property
    def env(self) -> Mapping[str, str]:
        return os.environ if self.options.env is None else self.options.env

    @cached_property
    def history(self) -> Any:
        """The plan's history replayed from the merge-base (verdicts/history_reader.py)."""
        from researchflow.verdicts.history_reader import read_history

        return read_history(self.config, self.plan_path, self.env)

    @property
    def plan_path(self) -> Path:
        return self.folder / PLAN_FILE

    @property
    def report_path(self) -> Path:
        return self.folder / REPORT_FILE

    @property
    def runs_path(self) -> Path:
        return self.folder / RUNS_FILE

    @cached_property
    def plan_result(self) -> PlanResult:
        """The plan read with the strict rules: every section written, whatever the status."""
        try:
            raw = read_file(self.plan_path)
        except FileNotFoundError:
            raw = b""
        return read_plan(raw, self.rel(PLAN_FILE), self.config.sections, strict=True)

    @property
    def plan(self) -> Any:
        return self.plan_result.plan

    @cached_property
    def runs(self) -> tuple[Any, ...]:
        """The runs.yaml entries (RunEntry), in file order."""
        from researchflow.documents.runlog import parse_runs

        try:
            raw = read_file(self.runs_path)
        except FileNotFoundError:
            return ()
        return tuple(parse_runs(raw, str(self.runs_path)).runs)

    @cached_property
    def store_runs(self) -> dict[str, Any]:
        """run id → StoreRun for every run the store holds with this hypothesis's tag, and
        every run runs.yaml lists: ONE batched query (a search by the tag)."""
        from researchflow.adapters.mlflow import fetch_runs
        from researchflow.documents.config import tracking_uri
        from researchflow.runs.storeplace import require_runs_found, require_store

        ids = [entry.run_id for entry in self.runs]
        if not ids and (self.plan is None or self.plan.approval is None):
            return {}  # nothing can be evidence yet: no need to reach the store
        uri, root = tracking_uri(self.config), self.config.root
        require_store(root, uri, self.id, self.runs)  # a clone without it: one line, exit 3
        found = fetch_runs(uri, ids, hypothesis=self.id)
        require_runs_found(root, uri, self.id, self.runs, found)
        return found

    @cached_property
    def live_runs(self) -> dict[str, Any]:
        """The store's runs that were not deleted there."""
        return {k: v for k, v in self.store_runs.items() if not getattr(v, "deleted", False)}

    @cached_property
    def head(self) -> str:
        from researchflow.adapters.git import git

        return git(self.config.root, "rev-parse", "HEAD").strip()

    @cached_property
    def report_inputs(self) -> Any:
        """What `rflow report` would show today, from the same single store query."""
        from researchflow.views.report_inputs import gather_inputs

        return gather_inputs(self.config, self.id, store_runs=self.live_runs, history=self.history)

    @property
    def primary_run_id(self) -> str | None:
        """The run the report's verdicts rest on: the latest confirmatory run."""
        primary: str | None = self.report_inputs.primary_run
        return primary

    @cached_property
    def evidence_ids(self) -> frozenset[str]:
        """Runs a verdict may rest on: the confirmatory ones (the primary among them)."""
        ids = {c.run_id for c in self.report_inputs.classified if c.confirmatory}
        if self.primary_run_id:
            ids.add(self.primary_run_id)
        return frozenset(ids)

    @cached_property
    def report_front_matter(self) -> dict[str, Any]:
        from researchflow.documents.document import DocumentError, parse_document

        try:
            return parse_document(self.report_path.read_bytes()).front_matter
        except (OSError, DocumentError):
            return {}
