"""runs.yaml: the documented schema round-trips, and a broken file is named, not guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from researchflow.base.errors import UserError
from researchflow.documents.runlog import RunEntry, append_run, parse_runs, read_runs, render_runs

ENTRY = RunEntry(
    run_id="3f2a",
    experiment_id="1",
    tracking_uri="sqlite:///x/.rflow/mlflow.db",
    commit="9c1e" * 10,
    branch="hyp/H-007-graded-target",
    dirty=False,
    command=("python", "train.py", "--lr", "0.1"),
    data={"data/responses.csv": "5d41", "data/images": "aa11.dir"},
    started="2026-11-23T10:00:00Z",
    ended="2026-11-23T10:01:00Z",
    status="FINISHED",
    metrics={"recall_at_10": 0.45},
)


def test_entry_survives_a_write_and_a_read() -> None:
    text = render_runs("H-007", [ENTRY])
    log = parse_runs(text)
    assert log.hypothesis == "H-007"
    assert log.runs == (ENTRY,)
    assert text.startswith("# Written by rflow")


def test_timestamps_and_numeric_ids_stay_strings_in_the_file() -> None:
    text = render_runs("H-007", [ENTRY])
    assert "experiment_id: '1'" in text
    assert "started: '2026-11-23T10:00:00Z'" in text


def test_missing_file_is_an_empty_log(tmp_path: Path) -> None:
    log = read_runs(tmp_path / "runs.yaml")
    assert log.runs == ()


def test_appending_keeps_earlier_entries(tmp_path: Path) -> None:
    path = tmp_path / "H-007-x" / "runs.yaml"
    append_run(path, "H-007", ENTRY)
    append_run(path, "H-007", RunEntry(**{**ENTRY.to_dict(), "run_id": "b", "command": ()}))
    assert [e.run_id for e in read_runs(path).runs] == ["3f2a", "b"]
    assert not [p.name for p in path.parent.iterdir() if p.name != "runs.yaml"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("runs: [\n", "runs.yaml:"),
        ("runs: {a: 1}\n", "runs: must be a list"),
        ("runs:\n  - experiment_id: '1'\n    commit: abc\n", "runs[0].run_id: missing"),
    ],
)
def test_broken_file_is_reported_with_its_field(text: str, expected: str) -> None:
    with pytest.raises(UserError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        parse_runs(text, "runs.yaml")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "hypothesis: 7\nruns: {a: 1}\n",
            "runs.yaml:2: runs: must be a list of entries",
        ),
        (
            "runs:\n  - {run_id: a, experiment_id: 1, commit: c, metrics: {a: x, b: [1]}}\n",
            "runs.yaml:2: runs[0].metrics.b: must be a single value, not a list",
        ),
        (
            "runs:\n  - run_id: a\n    dirty: maybe\n  - 5\n",
            "runs.yaml:2: runs[0].experiment_id: missing",
        ),
    ],
)
def test_the_first_of_several_problems_is_the_one_shown(text: str, line: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_runs(text, "runs.yaml")
    assert str(caught.value) == f"{line} (fix the value, or restore the file from git)"


def test_numbers_and_unquoted_times_written_by_hand_are_read_as_text() -> None:
    log = parse_runs(
        "runs:\n  - {run_id: 7, experiment_id: 1, commit: c, started: 2026-11-23T10:00:00Z,"
        " command: python x.py, metrics: {auc: 1, loss: null}, retired: {}}\n"
    )
    (entry,) = log.runs
    assert (entry.run_id, entry.started, entry.command) == (
        "7",
        "2026-11-23T10:00:00Z",
        ("python x.py",),
    )
    assert entry.metrics == {"auc": 1.0} and entry.retired is None
