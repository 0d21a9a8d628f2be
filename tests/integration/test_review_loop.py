"""The weekly loop across branches: WIP limits and hold, the timebox clock, review waits,
ideas ranked with drafts, the programme view, ship decisions on the board, the digest."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from fixtures.gitlab_api import PROJECT_PATH
from fixtures.hypothesis_branches import Hyp, add_hypotheses, commit_on_main
from fixtures.problems import write_problem
from support.git import git

from researchflow.documents.plan import Rice
from researchflow.process.backlog import Idea, render_backlog

TODAY = dt.date.today()


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def at(days: int) -> str:
    return f"{ago(days).isoformat()}T09:00:00Z"


def lifecycle(*events: tuple[str, int]) -> str:
    items = ", ".join(f"{{event: {e}, at: '{at(d)}', by: carol}}" for e, d in events)
    return f"lifecycle: [{items}]"


def status_json(rflow) -> dict:
    outcome = rflow("status", "--json")
    assert outcome.code == 0, outcome.stderr
    return json.loads(outcome.stdout)


def test_two_running_warn_naming_both_and_hold_takes_one_out(repo: Path, rflow) -> None:
    add_hypotheses(
        repo,
        [
            Hyp(1, slug="a", status="running", created=ago(2)),
            Hyp(2, slug="b", status="running", created=ago(2)),
        ],
    )
    outcome = rflow("status")
    assert "warning: carol is running 2 hypotheses (H-001, H-002)" in outcome.stdout
    add_hypotheses(
        repo,
        [
            Hyp(
                2,
                slug="b",
                status="hold",
                created=ago(2),
                front=(lifecycle(("start", 2), ("hold", 1)),),
            )
        ],
    )
    data = status_json(rflow)
    assert [w["kind"] for w in data["warnings"]] == []


def test_the_wip_limit_comes_from_the_config(repo: Path, rflow) -> None:
    (repo / "researchflow.yaml").write_text("wip_limit: 2\n", encoding="utf-8")
    add_hypotheses(
        repo,
        [Hyp(n, slug=f"h{n}", status="running", created=ago(1)) for n in (1, 2)],
    )
    assert [w["kind"] for w in status_json(rflow)["warnings"]] == []
    add_hypotheses(repo, [Hyp(3, slug="h3", status="running", created=ago(1))])
    [warning] = status_json(rflow)["warnings"]
    assert warning["ids"] == ["H-001", "H-002", "H-003"]
    assert "limited to 2" in warning["message"]


def test_the_timebox_clock_stops_on_hold(repo: Path, rflow) -> None:
    add_hypotheses(
        repo,
        [
            # 30 days since start, 10 of them on hold: 20 counted, 15 past a 5-day timebox
            Hyp(
                1,
                slug="resumed",
                status="running",
                created=ago(30),
                front=(lifecycle(("start", 30), ("hold", 20), ("resume", 10)),),
            ),
            # on hold for the last 20 days: the overrun stays where it was when paused
            Hyp(
                2,
                slug="paused",
                status="hold",
                executor="erin",
                created=ago(30),
                front=(lifecycle(("start", 30), ("hold", 20)),),
            ),
        ],
    )
    data = {h["id"]: h for h in status_json(rflow)["hypotheses"]}
    assert (data["H-001"]["overrun_days"], data["H-001"]["held_days"]) == (15, 10)
    assert (data["H-002"]["overrun_days"], data["H-002"]["held_days"]) == (5, 20)
    kinds = [(w["kind"], w["ids"]) for w in status_json(rflow)["warnings"]]
    assert kinds == [("timebox", ["H-001"])]  # a held hypothesis is not nagged about
    assert "rflow extend H-001 --days N" in rflow("status").stdout


def test_a_plan_waiting_in_review_too_long_is_named(repo: Path, rflow) -> None:
    add_hypotheses(repo, [Hyp(1, status="review", created=ago(40))])
    # the fixture commits it in late December 2025: well past two days by now
    [warning] = status_json(rflow)["warnings"]
    assert warning["kind"] == "review" and warning["ids"] == ["H-001"]
    assert "in review, longer than the team's 2" in warning["message"]
    (repo / "researchflow.yaml").write_text("review_max_days: 5000\n", encoding="utf-8")
    assert status_json(rflow)["warnings"] == []


def _backlog_on_main(repo: Path, ideas: list[Idea]) -> None:
    path = repo / "research" / "backlog.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_backlog(ideas), encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "ideas")


def test_ideas_rank_with_the_drafts_and_have_no_branch(repo: Path, rflow) -> None:
    _backlog_on_main(
        repo,
        [
            Idea("H-003", "Big idea", Rice(5, 5, 5, 5), "alice", ago(1)),
            Idea("H-004", "Small idea", Rice(1, 1, 1, 2), "bob", ago(1)),
        ],
    )
    add_hypotheses(repo, [Hyp(1, slug="draft", rice=(3, 3, 2, 3))])
    outcome = rflow("rank", "--json")
    assert outcome.code == 0, outcome.stderr
    ranking = json.loads(outcome.stdout)["ranking"]
    assert [(r["id"], r["status"], r["branch"]) for r in ranking] == [
        ("H-003", "idea", None),
        ("H-001", "draft", "hyp/H-001-draft"),
        ("H-004", "idea", None),
    ]
    text = rflow("rank").stdout
    assert "H-003" in text and " idea " in text
    assert "backlog: 2 ideas without a branch yet" in rflow("status").stdout


def _programme_repo(repo: Path) -> None:
    write_problem(repo)  # agreed: retention_30d, recall_at_10, latency_p95
    report = (
        "---\ntitle: H-001 report\nid: H-001\ndecision: ship\n"
        "decision_reason: recall up four points\n---\n"
    )
    stopped = "---\ntitle: H-002 report\nid: H-002\ndecision: stop\ndecision_reason: no lift\n---\n"
    commit_on_main(
        repo,
        [
            Hyp(
                1,
                slug="graded",
                status="concluded",
                outcome="confirmed",
                conclusion="Recall rose.",
                front=(
                    "serves: [recall_at_10]",
                    "validation: {type: ab_test, period_days: 14, traffic_percent: 10, "
                    "control: current model, business_metric: retention_30d}",
                ),
                extra_files={"research/H-001-graded/report.qmd": report},
            ),
            Hyp(
                2,
                slug="weekday",
                status="concluded",
                outcome="refuted",
                executor="erin",
                conclusion="No effect.",
                front=("serves: [retention_30d]",),
                extra_files={"research/H-002-weekday/report.qmd": stopped},
            ),
        ],
    )
    add_hypotheses(
        repo,
        [
            Hyp(
                3,
                slug="recency",
                status="running",
                created=ago(3),
                front=(
                    "serves: [recall_at_10]",
                    lifecycle(("start", 3), ("extend", 1)).replace(
                        "event: extend,", "event: extend, days: 3,"
                    ),
                ),
            )
        ],
    )


def test_status_by_metric_shows_serving_confirmed_and_uncovered(repo: Path, rflow) -> None:
    _programme_repo(repo)
    outcome = rflow("status", "--by", "metric")
    assert outcome.code == 0, outcome.stderr
    lines = outcome.stdout.splitlines()
    assert lines[0] == "Keep subscribers from churning (research/problem.qmd, agreed)"
    assert (
        "  recall_at_10 [model] target ≥ 0.9: served by H-001 concluded/confirmed, "
        "H-003 running; confirmed: H-001"
    ) in lines
    assert "  latency_p95 [online] target ≤ 1 s: UNCOVERED (no hypothesis serves it)" in lines
    data = status_json(rflow)
    by_id = {h["id"]: h for h in data["hypotheses"]}
    assert (by_id["H-001"]["decision"], by_id["H-002"]["decision"]) == ("ship", "stop")
    metrics = {m["name"]: m for m in data["programme"][0]["metrics"]}
    assert metrics["latency_p95"]["uncovered"] is True
    assert metrics["recall_at_10"]["confirmed"] == ["H-001"]


def test_board_shows_the_programme_uncovered_metric_decisions_and_extension(
    repo: Path, rflow, chromium, tmp_path: Path
) -> None:
    _programme_repo(repo)
    page = tmp_path / "board.html"
    outcome = rflow("board", "--html", str(page), "--digest", "digest.md")
    assert outcome.code == 0, outcome.stderr
    dom = chromium.dump_dom(page)
    assert '<section class="programme" data-path="research/problem.qmd">' in dom
    assert "Keep subscribers from churning" in dom
    assert 'data-metric="latency_p95" data-uncovered="true"' in dom
    assert 'data-metric="recall_at_10" data-uncovered="false"' in dom
    assert "uncovered: no hypothesis serves it" in dom
    assert '<span class="badge decision ship" data-decision="ship"' in dom
    assert '<span class="badge decision stop" data-decision="stop"' in dom
    assert "next step: A/B test, 14 days, 10% of traffic, against current model" in dom
    assert "timebox +3 d extended" in dom
    assert '<tr class="lane" data-executor="carol">' in dom
    assert 'id="lanes-toggle" checked=""' in dom
    assert 'href="digest.md"' in dom


def test_new_hypothesis_warns_when_the_executor_is_at_the_limit(repo: Path, rflow) -> None:
    add_hypotheses(repo, [Hyp(1, status="running", executor="carol", created=ago(1))])
    outcome = rflow("new-hypothesis", "Another one", "--no-push", "--executor", "carol")
    assert outcome.code == 0, outcome.stderr
    assert "warning: carol is already running 1 hypotheses (H-001)" in outcome.stdout
    git(repo, "switch", "-q", "main")
    calm = rflow("new-hypothesis", "A third", "--no-push", "--executor", "erin")
    assert "warning" not in calm.stdout


def _digest_repo(repo: Path) -> None:
    def concluded(number: int, approved: str, done: str, outcome: str) -> Hyp:
        return Hyp(
            number,
            slug=f"h{number}",
            status="concluded",
            outcome=outcome,
            conclusion="Done.",
            front=(
                f"lifecycle: [{{event: start, at: '{approved}', by: carol}}, "
                f"{{event: conclude, at: '{done}', by: carol, outcome: {outcome}}}]",
            ),
            raw_plan=None,
        )

    hyps = [
        concluded(1, "2026-11-20T10:00:00Z", "2026-11-30T10:00:00Z", "confirmed"),
        concluded(2, "2026-11-27T12:00:00Z", "2026-12-01T12:00:00Z", "refuted"),
        concluded(3, "2026-11-01T00:00:00Z", "2026-11-09T00:00:00Z", "inconclusive"),
    ]
    texts = []
    for hyp, approved in zip(
        hyps, ["2026-11-20T10:00:00Z", "2026-11-27T12:00:00Z", "2026-11-01T00:00:00Z"], strict=True
    ):
        text = hyp.plan_text()
        start = text.index("approval: ")
        end = text.index("\n", start)
        texts.append(
            (
                hyp,
                text[:start]
                + f"approval: {{by: dave, at: '{approved}', digest: 'sha256:0'}}"
                + text[end:],
            )
        )
    for hyp, text in texts:
        path = repo / "research" / hyp.folder / "plan.qmd"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "concluded work")


def test_digest_gives_the_cycle_times_of_a_known_history(repo: Path, rflow) -> None:
    _digest_repo(repo)
    outcome = rflow("digest", "--since", "7d", "--until", "2026-12-02T09:00:00Z", "--json")
    assert outcome.code == 0, outcome.stderr
    data = json.loads(outcome.stdout)
    assert data["cycle_days"] == {"H-001": 10.0, "H-002": 4.0}
    assert data["median_cycle_days"] == 7.0
    assert [c["id"] for c in data["concluded"]] == ["H-001", "H-002"]
    assert data["throughput"]["2026-W49"] == 2 and data["throughput"]["2026-W46"] == 1
    text = rflow("digest", "--since", "7d", "--until", "2026-12-02").stdout
    assert "Median: **7 days**" in text
    assert "| H-001 | 10 |" in text


def test_digest_writes_a_file_and_posts_an_issue_comment(
    repo: Path, rflow, gitlab_api, tmp_path: Path
) -> None:
    _digest_repo(repo)
    (repo / "researchflow.yaml").write_text(
        f"gitlab:\n  url: {gitlab_api.url}\n  project: {PROJECT_PATH}\n", encoding="utf-8"
    )
    gitlab_api.add_issue(7)
    target = tmp_path / "digest.md"
    outcome = rflow("digest", "--until", "2026-12-02", "--output", str(target), "--post-issue", "7")
    assert outcome.code == 0, outcome.stderr
    assert f"wrote {target}" in outcome.stdout and f"posted to {PROJECT_PATH}#7" in outcome.stdout
    [note] = gitlab_api.issue_notes[7]
    assert note["body"] == target.read_text(encoding="utf-8")
    assert "# Research digest" in note["body"]
    missing = rflow("digest", "--until", "2026-12-02", "--post-issue", "99")
    assert missing.code == 2
    assert "issue #99" in missing.stderr


def test_rflow_hold_takes_a_hypothesis_out_of_the_wip_count(repo: Path, rflow, monkeypatch) -> None:
    for hyp in (
        Hyp(1, slug="a", status="running", created=ago(1)),
        Hyp(2, slug="b", status="running", created=ago(1)),
    ):
        git(repo, "switch", "-q", "-c", f"hyp/{hyp.folder}", "main")
        path = repo / "research" / hyp.folder / "plan.qmd"
        path.parent.mkdir(parents=True)
        path.write_text(hyp.plan_text(), encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"{hyp.id}: running")
    assert [w["kind"] for w in status_json(rflow)["warnings"]] == ["wip"]
    monkeypatch.setenv("RFLOW_USER", "carol")
    held = rflow("hold", "H-002", "--reason", "waiting for the March export")
    assert held.code == 0, held.stderr
    git(repo, "commit", "-q", "-am", "H-002: on hold")
    data = status_json(rflow)
    assert data["warnings"] == []
    assert {h["id"]: h["status"] for h in data["hypotheses"]}["H-002"] == "hold"
    assert rflow("resume", "H-002").code == 0
    git(repo, "commit", "-q", "-am", "H-002: resumed")
    assert [w["kind"] for w in status_json(rflow)["warnings"]] == ["wip"]
