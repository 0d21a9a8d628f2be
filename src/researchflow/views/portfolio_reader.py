"""The portfolio reader: every hypothesis on every branch, read from git objects in one
pass without checking anything out (`rflow status`, `rank` and `board` share it)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import partial

from researchflow import __version__
from researchflow.adapters import statecache
from researchflow.adapters.git import Started, git
from researchflow.adapters.gitobjects import (
    GitObject,
    ObjectReader,
    Ref,
    parse_tree,
)
from researchflow.base import TYPE_CHECKING
from researchflow.base.forked import map_forked
from researchflow.base.frozen import frozen, replace
from researchflow.base.names import (
    BACKLOG_FILE,
    PLAN_FILE,
    PROBLEM_FILE,
    PROBLEMS_DIR,
    REPORT_FILE,
    RUNS_FILE,
    id_from_name,
)
from researchflow.documents.config import Config
from researchflow.documents.programme import ProblemStatement, read_problem
from researchflow.process.backlog import DROPPED, BacklogError, Idea, parse_backlog
from researchflow.views.branch_layout import Layout, layout
from researchflow.views.portfolio import (
    MEMO_FORMAT,
    PlanSource,
    Portfolio,
    Row,
    build_portfolio,
    grooming_warnings,
    warnings,
)

if TYPE_CHECKING:
    from typing import Any


def gather(config: Config) -> list[PlanSource]:
    """Plans and runs logs of every hypothesis branch, plus the merged ones on the default
    branch, read through one `git cat-file --batch` process."""
    refs = layout(config)
    with ObjectReader(config.root) as reader:
        found, merged = _gather(reader, config, refs, refs.branches, refs.defaults)
    return [*found, *merged]


def _gather(
    reader: ObjectReader,
    config: Config,
    refs: Layout,
    branches: Sequence[Ref],
    defaults: Sequence[Ref],
) -> tuple[list[PlanSource], list[PlanSource]]:
    """The plan sources of `branches`, and of the hypotheses merged into `defaults` that
    have no branch of their own (none when `defaults` is empty)."""
    prefix = config.branch_prefix
    research = config.research_dir.strip("/")
    # pass 1: each branch's own folder, and the default branch's research folder
    names: list[str] = []
    for ref in branches:
        folder = ref.branch[len(prefix) :]
        names += _files(ref, research, folder)
    names += [f"{ref.commit}:{research}" for ref in defaults]
    answers = reader.read_many(names)
    found: dict[str, PlanSource] = {}
    lost: list[Ref] = []
    for index, ref in enumerate(branches):
        pair = answers[FILES * index : FILES * index + FILES]
        if pair[0] is None:
            lost.append(ref)
            continue
        found[ref.branch] = _source(research, ref.branch[len(prefix) :], pair, ref.shown)
    default_trees = answers[FILES * len(branches) :]

    # pass 2: branches whose folder is named differently, and merged hypotheses
    merged = _merged_folders(default_trees, list(defaults), set(refs.branch_ids))
    names = [f"{ref.commit}:{research}" for ref in lost]
    for ref, folder in merged:
        names += _files(ref, research, folder)
    answers = reader.read_many(names)
    lost_trees, merged_files = answers[: len(lost)], answers[len(lost) :]
    sources = [
        _source(
            research,
            folder,
            merged_files[FILES * i : FILES * i + FILES],
            ref.shown,
            merged=True,
        )
        for i, (ref, folder) in enumerate(merged)
    ]

    # pass 3: the renamed folders found in pass 2
    renamed = _renamed_folders(lost, lost_trees, prefix)
    names = []
    for ref, folder in renamed:
        names += _files(ref, research, folder)
    answers = reader.read_many(names)
    for i, (ref, folder) in enumerate(renamed):
        found[ref.branch] = _source(
            research, folder, answers[FILES * i : FILES * i + FILES], ref.shown
        )
    for ref in lost:
        if ref.branch not in found:
            folder = ref.branch[len(prefix) :]
            found[ref.branch] = _source(research, folder, [None] * FILES, ref.shown)
    commits = {ref.shown: ref.commit for ref in [*branches, *defaults]}
    # pass 4: the reports of reported and concluded plans (their ship decision)
    own = [found[name] for name in sorted(found)]
    every = _with_reports(reader, [*own, *sources], commits)
    return every[: len(own)], every[len(own) :]


FILES = 2  # read per hypothesis folder: the plan and its runs log
_FINISHED = re.compile(rb"^status:[ \t]*(reported|concluded)\b", re.MULTILINE)


def _files(ref: Ref, research: str, folder: str) -> list[str]:
    return [
        f"{ref.commit}:{research}/{folder}/{PLAN_FILE}",
        f"{ref.commit}:{research}/{folder}/{RUNS_FILE}",
    ]


def _with_reports(
    reader: ObjectReader, sources: list[PlanSource], commits: Mapping[str, str]
) -> list[PlanSource]:
    """Sources with their report.qmd read, for plans whose status line says reported or
    concluded (a byte search: the plan is parsed later, and only once)."""
    wanted = [
        index
        for index, source in enumerate(sources)
        if source.plan is not None and source.branch in commits and _FINISHED.search(source.plan)
    ]
    if not wanted:
        return sources
    names = [
        f"{commits[sources[i].branch]}:{sources[i].path.rsplit('/', 1)[0]}/{REPORT_FILE}"
        for i in wanted
    ]
    result = list(sources)
    for index, blob in zip(wanted, reader.read_many(names), strict=True):
        if blob is not None and blob.type == "blob":
            result[index] = replace(sources[index], report=blob.data, report_oid=blob.oid)
    return result


def _source(
    research: str,
    folder: str,
    pair: list[GitObject | None],
    branch: str,
    *,
    merged: bool = False,
) -> PlanSource:
    plan, runs = pair
    return PlanSource(
        folder=folder,
        path=f"{research}/{folder}/{PLAN_FILE}",
        plan=plan.data if plan is not None and plan.type == "blob" else None,
        runs=runs.data if runs is not None and runs.type == "blob" else None,
        branch=branch,
        merged=merged,
        plan_oid=plan.oid if plan is not None else "",
        runs_oid=runs.oid if runs is not None else "",
    )


def _folders(tree: GitObject | None) -> list[str]:
    if tree is None or tree.type != "tree":
        return []
    return [entry.name for entry in parse_tree(tree.data, len(tree.oid) // 2) if entry.is_tree]


def _merged_folders(
    trees: list[GitObject | None], defaults: list[Ref], branch_ids: set[str | None]
) -> list[tuple[Ref, str]]:
    """(commit, folder) of hypotheses on the default branch that have no branch of their own;
    the local default branch wins over its remote-tracking copy."""
    seen: set[str] = set()
    result: list[tuple[Ref, str]] = []
    for ref, tree in zip(defaults, trees, strict=True):
        for folder in _folders(tree):
            hypothesis_id = id_from_name(folder)
            if hypothesis_id is None or hypothesis_id in branch_ids or folder in seen:
                continue
            seen.add(folder)
            result.append((ref, folder))
    return result


def _renamed_folders(
    lost: list[Ref], trees: list[GitObject | None], prefix: str
) -> list[tuple[Ref, str]]:
    """For branches without `<research>/<branch leaf>/`, the folder with the same ID."""
    result: list[tuple[Ref, str]] = []
    for ref, tree in zip(lost, trees, strict=True):
        wanted = id_from_name(ref.branch[len(prefix) :])
        if wanted is None:
            continue
        match = next((f for f in _folders(tree) if id_from_name(f) == wanted), None)
        if match is not None:
            result.append((ref, match))
    return result


Programme = tuple[tuple[ProblemStatement, ...], list[Idea], list[str]]


def _programme(reader: ObjectReader, commit: str | None, research: str) -> Programme:
    """The problem statements and the backlog at the default branch's commit, and what of
    them could not be read (a note each)."""
    if commit is None:
        return (), [], []
    notes: list[str] = []
    problem, backlog, folder = reader.read_many(
        [
            f"{commit}:{research}/{PROBLEM_FILE}",
            f"{commit}:{research}/{BACKLOG_FILE}",
            f"{commit}:{research}/{PROBLEMS_DIR}",
        ]
    )
    paths: list[str] = []
    if problem is not None and problem.type == "blob":
        paths.append(f"{research}/{PROBLEM_FILE}")
    if folder is not None and folder.type == "tree":
        paths += [
            f"{research}/{PROBLEMS_DIR}/{entry.name}"
            for entry in parse_tree(folder.data, len(folder.oid) // 2)
            if not entry.is_tree and entry.name.endswith(".qmd")
        ]
    blobs = reader.read_many([f"{commit}:{path}" for path in paths]) if paths else []
    statements: list[ProblemStatement] = []
    for path, blob in zip(paths, blobs, strict=True):
        if blob is None:
            continue
        result = read_problem(blob.data, path)
        if result.statement is not None:
            statements.append(result.statement)
        elif result.problems:
            notes.append(f"problem statement not read: {result.problems[0]}")
    ideas: list[Idea] = []
    if backlog is not None and backlog.type == "blob":
        try:
            ideas = parse_backlog(backlog.data, f"{research}/{BACKLOG_FILE}")
        except BacklogError as error:
            notes.append(f"backlog not read: {error}")
    return tuple(statements), ideas, notes


def review_days(
    config: Config,
    rows: Iterable[Row],
    today: dt.date,
    known: Mapping[str, Any],
    memo: dict[str, Any],
    started: Started | None = None,
) -> dict[str, int]:
    """Row key → days a plan in review has waited: since the commit that last wrote its
    `status: review` line. One `git log` over the branches of plans not remembered yet,
    `started` early (`start_review_log`) when it asked for just those."""
    waiting = [row for row in rows if row.status == "review" and row.source.plan_oid]
    since: dict[str, str] = {}
    unknown: list[Row] = []
    for row in waiting:
        remembered = known.get(f"review:{row.source.plan_oid}")
        if isinstance(remembered, str):
            since[_row_key(row)] = remembered
        else:
            unknown.append(row)
    if started is not None and (not unknown or started.args != _review_log(unknown)):
        started.cancel()  # guessed wrong: ask again
        started = None
    if unknown:
        out = started.output() if started else git(config.root, *_review_log(unknown), check=False)
        found: dict[str, str] = {}
        for day, path in _dated_paths(out):
            found.setdefault(path, day)
        for row in unknown:
            created = row.plan.created.isoformat() if row.plan else ""
            since[_row_key(row)] = found.get(row.source.path, created)
    waited: dict[str, int] = {}
    for row in waiting:
        day = since.get(_row_key(row), "")
        memo[f"review:{row.source.plan_oid}"] = day
        try:
            waited[_row_key(row)] = (today - dt.date.fromisoformat(day)).days
        except ValueError:
            continue
    return waited


def _review_log(rows: Iterable[Row | PlanSource]) -> tuple[str, ...]:
    """`git log` arguments: the newest commit (on these branches) whose change touches a
    `status: review` line of each plan. Paths are per hypothesis, so one walk serves all."""
    sources = [row.source if isinstance(row, Row) else row for row in rows]
    return (
        "log",
        "--format=@%cs",
        "--name-only",
        "-G",
        r"^status:[[:space:]]*review",
        *sorted({source.branch for source in sources}),
        "--",
        *sorted({source.path for source in sources}),
    )


_IN_REVIEW = re.compile(rb"^status:[ \t]*review[ \t]*$", re.MULTILINE)


def start_review_log(
    config: Config, sources: Iterable[PlanSource], known: Mapping[str, Any]
) -> Started | None:
    """`review_days`'s `git log`, started before the plans are parsed, for the plans whose
    bytes say `status: review` and that nothing remembers (parsing decides; a wrong guess
    is asked again)."""
    guessed = [
        source
        for source in sources
        if source.plan is not None
        and source.plan_oid
        and not isinstance(known.get(f"review:{source.plan_oid}"), str)
        and _IN_REVIEW.search(source.plan)
    ]
    return Started(config.root, *_review_log(guessed)) if guessed else None


def _dated_paths(out: str) -> Iterator[tuple[str, str]]:
    """(date, path) per path of `git log --format=@DATE --name-only`, newest commit first."""
    stamp = ""
    for line in out.splitlines():
        if line.startswith("@"):
            stamp = line[1:]
        elif line.strip():
            yield stamp, line.strip()


def _row_key(row: Row) -> str:
    return f"{row.source.branch}:{row.source.path}"


def collect(
    config: Config, today: dt.date | None = None, *, listing: Started | None = None
) -> Portfolio:
    """Every hypothesis as a row, with the warnings. `listing` is `start_layout(config)`,
    when the caller started git listing the branches early."""
    memo_path = config.state_path / "cache" / "portfolio.json"
    fingerprint = f"{MEMO_FORMAT}:{__version__}:{config.sections!r}"
    known = statecache.load(memo_path, fingerprint)
    day = today or dt.date.today()
    refs = layout(config, listing)
    # Hundreds of branches are read in two halves, the second by a forked child: each half
    # reads its blobs through its own `git cat-file` and parses what nothing remembers; the
    # rows are then built from what both remembered, as from the cache
    parts = [(refs.branches, refs.defaults)]
    if len(refs.branches) >= SPLIT_FROM:
        half = len(refs.branches) // 2
        parts = [(refs.branches[:half], refs.defaults), (refs.branches[half:], ())]
    read = map_forked(partial(_read_part, config, refs, known, day), parts, minimum=2)
    sources = [source for part in read for source in part.sources]
    sources += [source for part in read for source in part.merged]
    statements, ideas, notes = read[0].programme
    remembered = {**known}
    for part in read:
        remembered.update(part.memo)
    portfolio = build_portfolio(
        sources, config.sections, day, remembered, wip_limit=config.wip_limit, warn=False
    )
    memo = dict(portfolio.memo)
    waited = review_days(config, portfolio.rows, day, remembered, memo)
    rows = tuple(
        replace(row, review_days=waited[_row_key(row)])
        if row.status == "review" and _row_key(row) in waited
        else row
        for row in portfolio.rows
    )
    groomed = {row.id for row in rows}
    found = warnings(rows, wip_limit=config.wip_limit, review_max_days=config.review_max_days)
    found += grooming_warnings(
        [i for i in ideas if i.id not in groomed], day, config.grooming_max_days
    )
    portfolio = replace(
        portfolio,
        rows=rows,
        warnings=tuple(found),
        memo=memo,
        statements=statements,
        ideas=tuple(i for i in ideas if i.id not in groomed and i.state != DROPPED),
        notes=tuple(notes),
    )
    # .rflow/ is git-ignored once `rflow init` ran; never litter a repository that has not
    if portfolio.memo != known and (config.state_path.is_dir() or config.source is not None):
        statecache.save(memo_path, fingerprint, portfolio.memo)
    return portfolio


SPLIT_FROM = 64  # fewer branches are read in one process: a fork is not worth it


@frozen
class Part:
    """What one process read: its branches' sources, the merged ones and the programme
    (from the default branch, read by the first part only), and what it remembered."""

    sources: list[PlanSource]
    merged: list[PlanSource]
    programme: Programme
    memo: dict[str, Any]


def _read_part(
    config: Config,
    refs: Layout,
    known: Mapping[str, Any],
    day: dt.date,
    part: tuple[Sequence[Ref], Sequence[Ref]],
) -> Part:
    """Read some branches (and the default branch's merged hypotheses and programme, when
    given it), parse what `known` does not hold, and remember it: plans, runs, reports and
    how long plans in review have waited."""
    branches, defaults = part
    with ObjectReader(config.root) as reader:
        own, merged = _gather(reader, config, refs, branches, defaults)
        research = config.research_dir.strip("/")
        programme = _programme(reader, defaults[0].commit if defaults else None, research)
    sources = [*own, *merged]
    started = start_review_log(config, sources, known)  # git walks while we parse
    try:
        portfolio = build_portfolio(sources, config.sections, day, known, warn=False)
    except BaseException:
        if started is not None:
            started.cancel()
        raise
    memo = dict(portfolio.memo)
    review_days(config, portfolio.rows, day, known, memo, started)
    return Part(own, merged, programme, memo)


def reported_dates(config: Config) -> dict[str, str]:
    """Hypothesis ID → when its report was first committed (any branch): `reported` for the
    digest. One `git log` over every branch."""
    from researchflow.base.names import id_from_name

    research = config.research_dir.strip("/")
    out = git(
        config.root,
        "log",
        "--all",
        "--diff-filter=A",
        "--format=@%cI",
        "--name-only",
        "--",
        f"{research}/*/{REPORT_FILE}",
        check=False,
    )
    found: dict[str, str] = {}
    for moment, path in _dated_paths(out):
        folder = path.split("/")[-2] if "/" in path else ""
        hypothesis_id = id_from_name(folder)
        if hypothesis_id and (hypothesis_id not in found or moment < found[hypothesis_id]):
            found[hypothesis_id] = moment
    return found
