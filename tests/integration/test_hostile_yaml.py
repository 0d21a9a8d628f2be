"""Hostile YAML, as a new user (or a careless branch) would push it: one line, exit 2, fast.

One test per row of issue 11's table that concerns YAML: the alias bomb in a plan and in
runs.yaml, the same bomb on one pushed branch (status, rank and board go on), front matter
nested 600 deep, and runs.yaml that is not UTF-8 or has a field of the wrong type.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fixtures.hypothesis_branches import Hyp, add_hypotheses
from fixtures.plans import GOOD_FRONT_MATTER, plan_text, write_plan
from support.git import git


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": `levels` anchors, each a list of `width` aliases of the last."""
    lines = ['x0: &x0 "lol"']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*x{level - 1}"] * width)
        lines.append(f"x{level}: &x{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def nested(depth: int) -> str:
    return "deep: " + "[" * depth + "]" * depth + "\n"


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    return lines[0]


def test_alias_bomb_in_plan_front_matter_is_one_line_and_exit_2_in_milliseconds(
    repo: Path, rflow
) -> None:
    path = write_plan(repo, text=plan_text(front_matter=GOOD_FRONT_MATTER + alias_bomb()))
    started = time.perf_counter()
    outcome = rflow("validate", str(path))
    elapsed = time.perf_counter() - started
    assert outcome.code == 2, outcome
    line = one_line(outcome.stdout + outcome.stderr)
    assert "plan.qmd:" in line and "aliases expand to more than" in line
    assert elapsed < 0.5


def test_front_matter_nested_600_deep_is_exit_2_not_a_recursion_error(repo: Path, rflow) -> None:
    path = write_plan(repo, text=plan_text(front_matter=GOOD_FRONT_MATTER + nested(600)))
    outcome = rflow("validate", str(path))
    assert outcome.code == 2, outcome
    line = one_line(outcome.stdout + outcome.stderr)
    assert "nested more than 64 levels" in line and "plan.qmd:" in line


def test_config_alias_bomb_is_one_line_naming_researchflow_yaml(repo: Path, rflow) -> None:
    (repo / "researchflow.yaml").write_text(alias_bomb(), encoding="utf-8")
    outcome = rflow("status")
    assert outcome.code == 2
    line = one_line(outcome.stderr)
    assert line.startswith("rflow: researchflow.yaml:") and "aliases" in line


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (alias_bomb().encode(), "aliases expand to more than"),
        (nested(600).encode(), "nested more than 64 levels"),
        (b"hypothesis: H-007\nruns:\n  - run_id: caf\xe9\n", "runs.yaml:3: not valid UTF-8"),
        (
            b"hypothesis: H-007\nruns:\n  - run_id: abc\n    experiment_id: '1'\n"
            b"    commit: abc\n    metrics: [0.5]\n",
            "runs.yaml:6: runs[0].metrics: must be a mapping, not a list",
        ),
        (
            b"hypothesis: H-007\nruns:\n  - run_id: abc\n    experiment_id: '1'\n"
            b"    commit: {a: 1}\n",
            "runs.yaml:5: runs[0].commit: must be text, not a mapping",
        ),
        (
            b"hypothesis: H-007\nruns:\n<<<<<<< HEAD\n  - run_id: a\n=======\n"
            b"  - run_id: b\n>>>>>>> other\n",
            "runs.yaml:3: unresolved merge conflict markers",
        ),
    ],
    ids=["alias-bomb", "nested", "not-utf8", "wrong-type-list", "wrong-type-map", "conflict"],
)
def test_broken_runs_yaml_is_one_line_naming_file_line_and_field(
    repo: Path, rflow, content: bytes, words: str
) -> None:
    """`rflow link` reads runs.yaml before asking the store anything: the same one line."""
    path = write_plan(repo)
    (path.parent / "runs.yaml").write_bytes(content)
    started = time.perf_counter()
    outcome = rflow("link", "H-007", "0123456789abcdef0123456789abcdef")
    assert time.perf_counter() - started < 1.0
    assert outcome.code == 2, outcome
    line = one_line(outcome.stderr)
    assert words in line, line


@pytest.fixture
def team_repo(repo: Path) -> Path:
    """Three pushed branches; one carries the bomb in its plan, one in its runs.yaml."""
    bomb_plan = "---\n" + GOOD_FRONT_MATTER.format(id="H-002") + alias_bomb() + "---\n"
    add_hypotheses(
        repo,
        [
            Hyp(1, slug="fine", title="A fine idea"),
            Hyp(2, slug="bomb", raw_plan=bomb_plan),
            Hyp(
                3, slug="bombruns", extra_files={"research/H-003-bombruns/runs.yaml": alias_bomb()}
            ),
            Hyp(4, slug="deep", raw_plan="---\n" + nested(600) + "---\n"),
        ],
    )
    git(repo, "branch", "--list")
    return repo


def test_bomb_on_one_branch_is_one_broken_row_in_status(team_repo: Path, rflow) -> None:
    started = time.perf_counter()
    outcome = rflow("status", "--json")
    assert time.perf_counter() - started < 5
    assert outcome.code == 0, outcome
    rows = {row["id"]: row for row in json.loads(outcome.stdout)["hypotheses"]}
    assert rows["H-001"]["status"] == "draft"
    assert rows["H-002"]["status"] == "broken"
    assert "aliases expand" in rows["H-002"]["problem"]
    assert rows["H-003"]["runs"] is None  # unreadable runs.yaml, the plan itself is fine
    assert rows["H-004"]["status"] == "broken"
    text = rflow("status")
    assert text.code == 0
    assert any(
        line.startswith("H-002 ") and "broken plan" in line for line in text.stdout.split("\n")
    )


def test_bomb_on_one_branch_leaves_rank_and_board_working(team_repo: Path, rflow) -> None:
    ranked = rflow("rank", "--all", "--json")
    assert ranked.code == 0, ranked
    board = rflow("board", "--html", str(team_repo / "board.html"))
    assert board.code == 0, board
    html = (team_repo / "board.html").read_text(encoding="utf-8")
    assert "H-001" in html and "H-002" in html
