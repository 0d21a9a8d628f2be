"""A confirmatory experiment is every seed the plan registered (issue 21)."""

from __future__ import annotations

from researchflow.documents.runlog import RunEntry
from researchflow.verdicts.evidence import (
    CONFIRMATORY,
    EXPLORATORY,
    Classified,
    primary_experiment,
)


def _run(repeat: int, run_id: str | None = None) -> RunEntry:
    return RunEntry(
        run_id=run_id or f"r{repeat}",
        experiment_id="1",
        tracking_uri="sqlite:///x.db",
        commit="c" * 40,
        branch="hyp/H-001-x",
        dirty=False,
        command=("python", "train.py"),
        started=f"2026-01-01T00:00:0{repeat}Z",
        group="g",
        repeat=repeat,
    )


def _ok(repeat: int) -> Classified:
    return Classified(_run(repeat), CONFIRMATORY, "", "approval")


def test_every_registered_seed_confirmatory_is_a_complete_experiment() -> None:
    classified = [_ok(0), _ok(1), _ok(2), _ok(3)]  # seed 3 is beyond the registered three
    experiment = primary_experiment(classified, "r2", repeats=3)
    assert experiment is not None and experiment.gaps == ()
    assert [run.repeat for run in experiment.runs] == [0, 1, 2]


def test_a_failed_or_missing_seed_leaves_the_experiment_incomplete_and_empty() -> None:
    failed = Classified(_run(1), EXPLORATORY, "ended FAILED")
    experiment = primary_experiment([_ok(0), failed, _ok(3)], "r3", repeats=3)
    assert experiment is not None
    assert experiment.gaps == ("seed 1 (run r1) ended FAILED", "seed 2 is missing")
    assert experiment.runs == ()  # no verdict rests on the seeds that were kept


def test_without_registered_repeats_the_group_is_what_it_holds() -> None:
    failed = Classified(_run(1), EXPLORATORY, "ended FAILED")
    experiment = primary_experiment([_ok(0), failed], "r0")
    assert experiment is not None and [run.repeat for run in experiment.runs] == [0]
