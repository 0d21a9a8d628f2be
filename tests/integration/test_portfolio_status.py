"""`rflow status` and `rflow rank` over a real repository with hundreds of hypothesis branches.

The branches are made with `git fast-import` once per module; every test reads the same
repository, which no test changes (tests that change it build their own).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures.hypothesis_branches import Hyp, add_hypotheses, commit_on_main
from support.cli import buffered_environment
from support.git import git

TODAY = dt.date.today()
EXECUTORS = ("carol", "erin", "frank", "gina", "hank")
CYCLE = ("draft", "review", "approved", "running")
MANY = range(10, 310)  # 300 hypothesis branches


def many() -> list[Hyp]:
    hyps = []
    for number in MANY:
        status = CYCLE[number % 4]
        hyps.append(
            Hyp(
                number,
                slug=f"idea-{number}",
                title=f"Idea number {number}",
                status=status,
                executor=f"{EXECUTORS[number % 5]}{number}",  # one running each: no WIP noise
                rice=(number % 5 + 1, 3, 2, 3),
                created=TODAY - dt.timedelta(days=number % 30),
                timebox_days=60,
                runs=number % 4,
            )
        )
    return hyps


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("portfolio") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    commit_on_main(
        root,
        [
            Hyp(
                1,
                "graded",
                "Graded target",
                "concluded",
                outcome="confirmed",
                conclusion="It works.",
            ),
            Hyp(2, "weekday", "Weekday features", "concluded", outcome="refuted", conclusion="No."),
            Hyp(3, "trees", "Deeper trees", "abandoned"),
            # also has a branch: listed once, from the branch
            Hyp(10, slug="idea-10", title="Old copy on main", status="draft"),
        ],
    )
    add_hypotheses(root, many())
    add_hypotheses(
        root,
        [
            Hyp(400, slug="broken", raw_plan='---\ntitle: "unclosed\nid: H-400\n---\n'),
            Hyp(401, slug="remote-only", title="Only on the remote", status="review"),
            Hyp(402, slug="pair", title="Local copy", status="running", executor="zoe", runs=3),
            Hyp(403, slug="old-name", title="Renamed branch", branch_leaf="H-403-new-name"),
            Hyp(404, slug="empty", with_plan=False, extra_files={"notes.txt": "soon\n"}),
        ],
    )
    # the remote-tracking copies: H-401 has no local branch, H-402's is older
    add_hypotheses(
        root,
        [
            Hyp(
                401,
                slug="remote-only",
                title="Only on the remote",
                status="review",
                remote_only=True,
            ),
            Hyp(402, slug="pair", title="Remote copy", status="draft", remote_only=True),
        ],
    )
    git(root, "branch", "-D", "-q", "hyp/H-401-remote-only")
    return root


@pytest.fixture(scope="module")
def big_status(big_repo: Path) -> dict[str, dict]:
    """`rflow status --json` of the big repository, run once through the real entry point."""
    done = subprocess.run(
        [sys.executable, "-m", "researchflow", "status", "--json"],
        cwd=big_repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def in_big_repo(big_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(big_repo)
    return big_repo


def status_json(rflow) -> dict:
    outcome = rflow("status", "--json")
    assert outcome.code == 0, outcome.stderr
    return json.loads(outcome.stdout)


def by_id(data: dict) -> dict[str, dict]:
    return {row["id"]: row for row in data["hypotheses"]}


def test_status_lists_every_hypothesis_branch_with_its_fields(big_status) -> None:
    rows = by_id(big_status)
    for number in MANY:
        row = rows[f"H-{number:03d}"]
        assert row["title"] == f"Idea number {number}"
        assert row["status"] == CYCLE[number % 4]
        assert row["executor"] == f"{EXECUTORS[number % 5]}{number}"
        assert row["rice"]["score"] == (number % 5 + 1) * 18
        assert row["age_days"] == number % 30
        assert row["runs"] == number % 4
        assert row["branch"] == f"hyp/H-{number:03d}-idea-{number}"
        assert row["broken"] is False
    assert len(rows) == 300 + 3 + 5


def test_broken_plan_is_listed_as_broken_instead_of_aborting(big_status) -> None:
    row = by_id(big_status)["H-400"]
    assert row["broken"] is True
    assert row["status"] == "broken"
    assert row["problem"].startswith("research/H-400-broken/plan.qmd:")
    assert "invalid YAML" in row["problem"]


def test_branch_without_a_plan_is_listed_as_broken(big_status) -> None:
    row = by_id(big_status)["H-404"]
    assert row["broken"] is True
    assert "not found" in row["problem"]


def test_local_branch_wins_over_its_remote_tracking_copy(big_status) -> None:
    data = big_status
    pair = [row for row in data["hypotheses"] if row["id"] == "H-402"]
    assert len(pair) == 1
    assert pair[0]["title"] == "Local copy"
    assert pair[0]["branch"] == "hyp/H-402-pair"
    assert pair[0]["runs"] == 3


def test_remote_only_branch_is_listed(big_status) -> None:
    row = by_id(big_status)["H-401"]
    assert row["branch"] == "origin/hyp/H-401-remote-only"
    assert row["status"] == "review"


def test_branch_whose_folder_was_renamed_is_found_by_its_id(big_status) -> None:
    row = by_id(big_status)["H-403"]
    assert row["title"] == "Renamed branch"
    assert row["path"] == "research/H-403-old-name/plan.qmd"


def test_merged_hypotheses_are_read_from_the_default_branch(big_status) -> None:
    rows = by_id(big_status)
    assert rows["H-001"]["status"] == "concluded"
    assert rows["H-001"]["outcome"] == "confirmed"
    assert rows["H-001"]["conclusion"] == "It works."
    assert rows["H-002"]["outcome"] == "refuted"
    assert rows["H-003"]["status"] == "abandoned"
    assert rows["H-001"]["merged"] is True and rows["H-001"]["branch"] == "main"
    # a hypothesis with its own branch is read from that branch only
    assert rows["H-010"]["title"] == "Idea number 10"
    assert rows["H-010"]["merged"] is False


def test_status_text_shows_a_table_and_the_broken_row(in_big_repo, rflow) -> None:
    outcome = rflow("status")
    assert outcome.code == 0, outcome.stderr
    lines = outcome.stdout.splitlines()
    assert lines[0].split() == [
        "ID", "STATUS", "EXECUTOR", "RICE", "AGE", "RUNS", "OVERRUN", "WHERE", "TITLE"
    ]  # fmt: skip
    row = next(line for line in lines if line.startswith("H-011 "))
    assert row.split()[:3] == ["H-011", "running", "erin11"]
    assert "hyp/H-011-idea-11" in row and row.endswith("Idea number 11")
    broken = next(line for line in lines if line.startswith("H-400 "))
    assert "broken plan: research/H-400-broken/plan.qmd:" in broken


@pytest.mark.parametrize("args", [["status"], ["status", "--json"]])
def test_status_without_click_prints_what_its_click_command_prints(
    in_big_repo, rflow, args: list[str]
) -> None:
    """`rflow status [--json]` skips click (cli/__init__.py); the command row must agree."""
    from click.testing import CliRunner

    from researchflow.cli import cli

    plain = rflow(*args)
    clicked = CliRunner().invoke(cli, args)
    assert plain.code == clicked.exit_code == 0, plain.stderr
    assert plain.stdout == clicked.stdout


@pytest.mark.parametrize("args", [["status"], ["status", "--json"]])
def test_status_from_the_entry_point_prints_all_it_prints_in_process(
    repo: Path, rflow, rflow_process, args: list[str]
) -> None:
    """The entry point's plain status leaves without tearing the interpreter down
    (cli/__init__.py): a short answer, still in its buffer then, must arrive too."""
    done = rflow_process(*args, cwd=repo, env=buffered_environment())
    plain = rflow(*args)
    assert done.code == plain.code == 0, done.stderr
    assert done.stdout == plain.stdout
    assert done.stdout.strip()


def test_status_reads_git_objects_without_touching_the_checkout(in_big_repo, rflow) -> None:
    before = git(in_big_repo, "rev-parse", "HEAD"), git(in_big_repo, "status", "--porcelain")
    status_json(rflow)
    after = git(in_big_repo, "rev-parse", "HEAD"), git(in_big_repo, "status", "--porcelain")
    assert before == after
    assert not (in_big_repo / "research" / "H-100-idea-100").exists()


def test_status_starts_a_handful_of_git_processes_not_one_per_branch(
    big_repo: Path, tmp_path: Path
) -> None:
    real_git = subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    shims = tmp_path / "bin"
    shims.mkdir()
    log = tmp_path / "git-calls.log"
    shim = shims / "git"
    shim.write_text(f'#!/bin/sh\necho "$1" >> "{log}"\nexec "{real_git}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "researchflow", "status", "--json"],
        cwd=big_repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["hypotheses"]) == 308
    calls = log.read_text().split()
    # one `git cat-file` per process reading half of the branches (views/portfolio_reader.py)
    assert calls.count("cat-file") <= 2, calls
    assert len(calls) <= 6, calls


def status_process(cwd: Path, *, one_processor: bool = False) -> dict:
    def pin() -> None:  # one processor: nothing is forked (base/forked.py)
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    done = subprocess.run(
        [sys.executable, "-m", "researchflow", "status", "--json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=pin if one_processor else None,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_halves_read_by_two_processes_give_what_one_process_and_the_cache_give(
    big_repo: Path, big_status: dict, tmp_path: Path
) -> None:
    """Hundreds of branches are read in two halves, the second by a forked child, each
    remembering what it parsed; the rows are then built as from the cache. The broken,
    renamed, remote-only and merged hypotheses land in either half: one processor, and a
    warm .rflow/cache, must list them all the same."""
    assert len(os.sched_getaffinity(0)) > 1, "this machine has one processor: nothing forks"
    assert status_process(big_repo, one_processor=True) == big_status
    copy = tmp_path / "copy"
    shutil.copytree(big_repo, copy)
    (copy / ".rflow").mkdir()
    assert status_process(copy) == big_status  # cold: fills the cache
    assert (copy / ".rflow" / "cache" / "portfolio.json").is_file()
    assert status_process(copy) == big_status  # warm
    assert status_process(copy, one_processor=True) == big_status


def test_rank_orders_the_backlog_by_rice_with_ties_by_id(in_big_repo, rflow) -> None:
    outcome = rflow("rank", "--json")
    assert outcome.code == 0, outcome.stderr
    ranking = json.loads(outcome.stdout)["ranking"]
    assert {row["status"] for row in ranking} <= {"draft", "review", "approved"}
    keys = [(-row["rice"]["score"], int(row["id"][2:])) for row in ranking]
    assert keys == sorted(keys)
    assert ranking[0]["rank"] == 1
    assert ranking[0]["rice"] == {
        "reach": 5,
        "impact": 3,
        "confidence": 2,
        "effort": 3,
        "score": 90,
    }


def test_rank_text_shows_the_four_factors_and_skips_broken_plans(in_big_repo, rflow) -> None:
    outcome = rflow("rank")
    assert outcome.code == 0, outcome.stderr
    lines = outcome.stdout.splitlines()
    assert lines[0].split() == [
        "#",
        "ID",
        "RICE",
        "R",
        "I",
        "C",
        "E",
        "STATUS",
        "EXECUTOR",
        "TITLE",
    ]
    first = lines[1].split()
    assert first[:7] == ["1", "H-014", "90", "5", "3", "2", "3"]
    assert any(line.startswith("not ranked: H-400") for line in lines)


def test_wip_and_timebox_warnings_are_shown(repo: Path, rflow) -> None:
    old = TODAY - dt.timedelta(days=30)
    add_hypotheses(
        repo,
        [
            Hyp(1, slug="a", status="running", executor="carol", created=old, timebox_days=5),
            Hyp(2, slug="b", status="running", executor="carol", created=TODAY, timebox_days=5),
        ],
    )
    outcome = rflow("status")
    assert outcome.code == 0, outcome.stderr
    assert (
        "warning: carol is running 2 hypotheses (H-001, H-002): work in progress is limited to 1"
        in outcome.stdout
    )
    assert "warning: H-001 is running 25 days past its 5-day timebox" in outcome.stdout
    data = status_json(rflow)
    assert [w["kind"] for w in data["warnings"]] == ["wip", "timebox"]
    assert by_id(data)["H-001"]["overrun_days"] == 25


def test_a_new_commit_on_a_branch_shows_after_status_remembered_the_old_plan(
    repo: Path, rflow
) -> None:
    (repo / ".rflow").mkdir()
    add_hypotheses(repo, [Hyp(1, slug="a", status="draft")])
    assert by_id(status_json(rflow))["H-001"]["status"] == "draft"
    assert (repo / ".rflow" / "cache" / "portfolio.json").is_file()
    add_hypotheses(repo, [Hyp(1, slug="a", status="review", title="Now in review")])
    row = by_id(status_json(rflow))["H-001"]
    assert (row["status"], row["title"]) == ("review", "Now in review")


def test_status_does_not_write_state_into_an_uninitialised_repository(repo: Path, rflow) -> None:
    add_hypotheses(repo, [Hyp(1, slug="a")])
    status_json(rflow)
    assert not (repo / ".rflow").exists()


def test_empty_repository_says_how_to_start(repo: Path, rflow) -> None:
    outcome = rflow("status")
    assert outcome.code == 0
    assert "no hypotheses yet" in outcome.stdout


def test_status_outside_a_git_repository_is_a_usage_error(tmp_path, monkeypatch, rflow) -> None:
    monkeypatch.chdir(tmp_path)
    outcome = rflow("status")
    assert outcome.code == 2
    assert "not a git repository" in outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_custom_branch_prefix_and_research_folder(repo: Path, rflow) -> None:
    (repo / "researchflow.yaml").write_text("branch_prefix: exp-\nresearch_dir: studies\n")
    add_hypotheses(repo, [Hyp(5, slug="x", title="Prefixed")], prefix="exp-", research="studies")
    add_hypotheses(repo, [Hyp(6, slug="y", title="Old prefix")])
    rows = by_id(status_json(rflow))
    assert list(rows) == ["H-005"]
    assert rows["H-005"]["branch"] == "exp-H-005-x"


def test_the_review_log_started_early_gives_the_days_asked_for_late(big_repo: Path) -> None:
    """collect() starts review_days's `git log` before parsing, from a byte guess; the days
    are the same as asked after parsing, and a wrong guess is asked again."""
    from researchflow.documents.config import load_config
    from researchflow.views.portfolio import build_portfolio
    from researchflow.views.portfolio_reader import gather, review_days, start_review_log

    config = load_config(big_repo)
    sources = gather(config)
    rows = build_portfolio(sources, config.sections, TODAY).rows
    late = review_days(config, rows, TODAY, {}, {})
    assert len(late) >= 70  # every fourth of the 300 branches is in review
    early = review_days(config, rows, TODAY, {}, {}, start_review_log(config, sources, {}))
    assert early == late
    wrong = start_review_log(config, sources[:40], {})
    assert review_days(config, rows, TODAY, {}, {}, wrong) == late
