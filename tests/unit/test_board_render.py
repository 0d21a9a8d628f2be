"""The board page: a column per status, escaped user text, nothing fetched from a network."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

from fixtures.hypothesis_branches import Hyp

from researchflow.documents.config import SectionsConfig
from researchflow.documents.plan import STATUSES
from researchflow.views.board import render_board
from researchflow.views.portfolio import PlanSource, build_portfolio

TODAY = dt.date(2026, 11, 20)


def page(*hyps: Hyp) -> str:
    sources = [
        PlanSource(
            h.folder,
            f"research/{h.folder}/plan.qmd",
            h.plan_text().encode(),
            branch=f"hyp/{h.folder}",
        )
        for h in hyps
    ]
    portfolio = build_portfolio(sources, SectionsConfig(), TODAY)
    return render_board(portfolio, project="churn <lab>", generated="2026-11-20 10:00")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_every_status_has_a_column_even_when_empty() -> None:
    html = page(Hyp(1, status="draft"))
    statuses = [
        a["data-status"] for t, a in tags(html) if t == "div" and "column" in (a.get("class") or "")
    ]
    assert statuses == list(STATUSES)


def test_broken_plans_get_their_own_column() -> None:
    html = page(Hyp(1), Hyp(2, raw_plan="no front matter"))
    statuses = [
        a["data-status"] for t, a in tags(html) if t == "div" and "column" in (a.get("class") or "")
    ]
    assert statuses[-1] == "broken"
    assert "missing YAML front matter" in html


def test_user_text_is_escaped() -> None:
    html = page(
        Hyp(
            1,
            title="<script>alert(1)</script> & co",
            status="concluded",
            outcome="refuted",
            conclusion="<img src=x onerror=alert(2)>",
        )
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "churn &lt;lab&gt;" in html


def test_the_page_loads_nothing_from_elsewhere() -> None:
    html = page(Hyp(1), Hyp(2, status="running"))
    assert not [t for t, _ in tags(html) if t in ("script", "link", "img", "iframe")]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_research_log_shows_refuted_and_confirmed_with_their_conclusions() -> None:
    html = page(
        Hyp(1, status="concluded", outcome="confirmed", conclusion="Recall rose 3 points."),
        Hyp(2, status="concluded", outcome="refuted", conclusion="No effect on churn."),
        Hyp(3, status="running"),
    )
    log = html[html.index('id="research-log"') :]
    assert "Recall rose 3 points." in log and "No effect on churn." in log
    assert 'data-id="H-002"' in log and 'data-id="H-001"' in log
    assert 'data-id="H-003"' not in log


RUNS_ON_A_SERVER = b"""hypothesis: H-001
runs:
- run_id: 3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7
  experiment_id: '4'
  tracking_uri: https://mlflow.example.com
  commit: 0123456789abcdef0123456789abcdef01234567
  branch: hyp/H-001-x
  dirty: false
  command: [python, train.py]
  note: the run the verdict rests on
- run_id: aaaa9c0d4e5b6a7f8091a2b3c4d5e6f7
  experiment_id: '4'
  tracking_uri: sqlite:///.rflow/mlflow.db
  commit: 0123456789abcdef0123456789abcdef01234567
  branch: hyp/H-001-x
  dirty: false
  command: [python, train.py]
"""


def test_cards_link_the_merge_requests_and_runs_on_a_tracking_server() -> None:
    from researchflow.views.board import Links

    hyp = Hyp(1, status="running")
    source = PlanSource(
        hyp.folder,
        f"research/{hyp.folder}/plan.qmd",
        hyp.plan_text().encode(),
        branch=f"hyp/{hyp.folder}",
        runs=RUNS_ON_A_SERVER,
    )
    portfolio = build_portfolio([source], SectionsConfig(), TODAY)
    links = Links("https://gitlab.example.com/team/churn")

    html = render_board(portfolio, project="churn", generated="now", links=links)

    anchors = {a.get("class"): a for t, a in tags(html) if t == "a" and a.get("class")}
    assert anchors["mr"]["href"] == (
        "https://gitlab.example.com/team/churn/-/merge_requests?scope=all&state=all"
        f"&source_branch=hyp%2F{hyp.folder}"
    )
    assert anchors["run"]["href"] == (
        "https://mlflow.example.com/#/experiments/4/runs/3f2a9c0d4e5b6a7f8091a2b3c4d5e6f7"
    )
    assert anchors["run"]["title"] == "the run the verdict rests on"
    assert html.count('class="run"') == 1  # the embedded store has no UI to link to


def test_without_known_urls_a_card_has_no_links() -> None:
    assert 'class="links"' not in page(Hyp(1, status="running"))
