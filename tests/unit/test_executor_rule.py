"""Role rule: confirmatory runs are made by the executor, identified through `people:`."""

from __future__ import annotations

from researchflow.process.executor_rule import executor_problems

PEOPLE = {"carol": ("carol@example.com",), "alice": ("alice@example.com",)}


def _problems(runs, *, waived=False, people=PEOPLE, executor="carol"):
    return executor_problems(
        executor=executor, waived=waived, people=people, runs=runs, path="research/H-1/runs.yaml"
    )


def test_a_run_committed_by_the_executor_passes() -> None:
    assert _problems([("r1", None, "Carol C", "Carol@Example.com")]) == []


def test_a_run_by_someone_else_fails_naming_both() -> None:
    [problem] = _problems([("r1", None, "Alice", "alice@example.com")])
    assert problem.field == "roles.executor"
    assert problem.message == (
        "confirmatory run r1 was made by Alice <alice@example.com>, not by the executor carol"
    )


def test_the_recorded_user_decides_and_the_commit_author_only_without_one() -> None:
    assert _problems([("r1", "carol", "Alice", "alice@example.com")]) == []
    # the commit is who wrote the code the run ran on, not who ran it
    [problem] = _problems([("r1", "alice", "Carol", "carol@example.com")])
    assert problem.message == "confirmatory run r1 was made by alice, not by the executor carol"
    assert _problems([("r1", None, "Carol", "carol@example.com")]) == []


def test_a_recorded_user_is_judged_without_a_people_entry() -> None:
    [problem] = _problems([("r1", "alice", "Alice", "alice@example.com")], people={})
    assert problem.field == "roles.executor"


def test_a_written_reason_waives_the_rule() -> None:
    assert _problems([("r1", None, "Alice", "alice@example.com")], waived=True) == []


def test_without_a_people_entry_or_a_user_there_is_nothing_to_judge() -> None:
    assert _problems([("r1", None, "Alice", "alice@example.com")], people={}) == []
