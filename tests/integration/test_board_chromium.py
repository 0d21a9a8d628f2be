"""`rflow board --html`: the page as headless Chromium renders it."""

from __future__ import annotations

import datetime as dt
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fixtures.hypothesis_branches import Hyp, add_hypotheses, commit_on_main

from researchflow.documents.plan import STATUSES

TODAY = dt.date.today()


def days_ago(count: int) -> dt.date:
    return TODAY - dt.timedelta(days=count)


class Dom(HTMLParser):
    """Columns, the cards in each, and the research log rows of a rendered board."""

    def __init__(self) -> None:
        super().__init__()
        self.columns: list[str] = []
        self.cards: dict[str, str] = {}  # card id → the column it sits in
        self.log: list[str] = []
        self._in_log = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = dict(attrs)
        classes = (data.get("class") or "").split()
        if tag == "div" and "column" in classes:
            self.columns.append(data["data-status"] or "")
        elif tag == "article" and "card" in classes:
            self.cards[data["data-id"] or ""] = self.columns[-1]
        elif tag == "table" and data.get("id") == "research-log":
            self._in_log = True
        elif tag == "tr" and self._in_log and data.get("data-id"):
            self.log.append(data["data-id"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_log = False


@pytest.fixture
def board_repo(repo: Path) -> Path:
    commit_on_main(
        repo,
        [
            Hyp(1, "graded", "Graded target lifts recall", "concluded", "carol", (3, 3, 2, 3),
                days_ago(60), outcome="confirmed", conclusion="Recall@10 rose 3 points.", runs=4),
            Hyp(2, "weekday", "Weekday features cut churn error", "concluded", "erin", (2, 2, 3, 4),
                days_ago(50), outcome="refuted", conclusion="No effect beyond noise.", runs=3),
            Hyp(3, "trees", "Deeper trees help sparse segments", "abandoned", "carol", (1, 2, 1, 3),
                days_ago(45)),
        ],
    )  # fmt: skip
    add_hypotheses(
        repo,
        [
            Hyp(4, "recency", "Recency decay beats a window", "running", "carol", (4, 3, 3, 3),
                days_ago(20), timebox_days=10, approved=days_ago(15), runs=2),
            Hyp(5, "sessions", "Session embeddings help", "running", "carol", (5, 4, 2, 2),
                days_ago(9), timebox_days=10, approved=days_ago(7), runs=1),
            Hyp(6, "price", "Price elasticity predicts churn", "approved", "dave", (3, 4, 3, 2),
                days_ago(6), timebox_days=7, approved=days_ago(2)),
            Hyp(7, "labels", "Cleaning label noise <b>improves</b> precision", "review", "frank",
                (3, 3, 4, 4), days_ago(4)),
            Hyp(8, "calibration", "Isotonic calibration fixes over-confidence", "draft", None,
                (2, 3, 3, 5), days_ago(1)),
            Hyp(9, "cross-sell", "Cross-sell signals predict upgrades", "reported", "dave",
                (3, 3, 3, 3), days_ago(30), outcome="inconclusive", approved=days_ago(25), runs=5),
            Hyp(11, "half", raw_plan='---\ntitle: "Half-written plan\nid: H-011\n---\n'),
        ],
    )  # fmt: skip
    return repo


def test_board_renders_a_column_per_status_with_the_cards_in_place(
    board_repo: Path, rflow, chromium, tmp_path: Path
) -> None:
    page = tmp_path / "board.html"
    outcome = rflow("board", "--html", str(page))
    assert outcome.code == 0, outcome.stderr
    assert outcome.stdout.startswith(f"wrote {page}: 10 hypotheses, 2 in the research log")

    dom = chromium.dump_dom(page)
    parsed = Dom()
    parsed.feed(dom)
    assert parsed.columns == [*STATUSES, "broken"]
    assert parsed.cards == {
        "H-008": "draft",
        "H-007": "review",
        "H-006": "approved",
        "H-004": "running",
        "H-005": "running",
        "H-009": "reported",
        "H-001": "concluded",
        "H-002": "concluded",
        "H-003": "abandoned",
        "H-011": "broken",
    }
    assert parsed.log == ["H-002", "H-001"]  # refuted ones are knowledge too
    assert "No effect beyond noise." in dom and "Recall@10 rose 3 points." in dom
    # badges on the cards
    assert "RICE 108" in dom and "+5 d over timebox" in dom and ">refuted<" in dom
    assert "carol is running 2 hypotheses (H-004, H-005)" in dom
    # user text stayed text in the browser's DOM
    assert "Cleaning label noise &lt;b&gt;improves&lt;/b&gt; precision" in dom

    png = chromium.screenshot(page, tmp_path / "board.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a blank page is a few kilobytes


def test_board_into_a_missing_folder_is_refused(board_repo: Path, rflow, tmp_path: Path) -> None:
    outcome = rflow("board", "--html", str(tmp_path / "nowhere" / "board.html"))
    assert outcome.code == 2
    assert "does not exist" in outcome.stderr


def test_board_json_reports_what_was_written(board_repo: Path, rflow, tmp_path: Path) -> None:
    page = tmp_path / "b.html"
    outcome = rflow("board", "--html", str(page), "--json")
    assert outcome.code == 0, outcome.stderr
    assert json.loads(outcome.stdout) == {
        "path": str(page),
        "hypotheses": 10,
        "concluded": 2,
        "warnings": 3,  # carol's WIP, H-004 past its timebox, H-007 waiting in review
    }
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_template_override_in_the_repository_is_used(
    board_repo: Path, rflow, tmp_path: Path
) -> None:
    override = board_repo / ".researchflow" / "templates"
    override.mkdir(parents=True)
    (override / "board.html.j2").write_text("<p>{{ total }} in {{ project }}</p>\n")
    page = tmp_path / "b.html"
    assert rflow("board", "--html", str(page)).code == 0
    assert page.read_text() == f"<p>10 in {board_repo.name}</p>"
